// The load test: one node ("hub") that N partner nodes pull from (each a
// real minga-node over mutual TLS on loopback, following), while W writers
// put new materials into it through `minga put`, for a set time.
//
// It holds when: no write fails; the hub's threads stay within 8 of what
// they were once every puller had connected, and its resident memory grows
// by at most its store's budgets plus 32 MiB (128 MiB); and once the
// writers stop, every puller holds what the hub holds within two minutes. It
// reports the writes' p50 and p99 latency (a write is one `minga put`, a
// process start included), the hub's memory and threads, and the time to
// converge.
//
//   load_test [--pullers N] [--writers W] [--seconds S]
//
// Defaults: 20 pullers, 4 writers, 300 seconds. Exits 1 when a bound is
// broken.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/util/federation_harness.h"
#include "tests/util/process.h"

namespace minga::testing {
namespace {

constexpr long kThreadSlack = 8;
// The store's memory budgets (memtables 64 MiB, block cache 32 MiB; see
// RocksKvOptions), which fill as writes come and empty as memtables flush,
// plus 32 MiB for the streams and the allocator. A leak outgrows it.
constexpr long kRssGrowthKib = (64 + 32 + 32) * 1024;

struct Options {
  int pullers = 20;
  int writers = 4;
  int seconds = 300;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

int RunLoad(const Options& o) {
  TempDir tmp;
  std::vector<std::string> orgs = {"hub"};
  for (int i = 0; i < o.pullers; ++i) orgs.push_back(absl::StrCat("p", i));
  FederationHarness fed(tmp.path(), orgs);
  for (int i = 1; i <= o.pullers; ++i) fed.Link(i, 0);
  if (!fed.Setup() || !fed.StartAll()) {
    fprintf(stderr, "load test: the nodes did not start\n");
    return 1;
  }
  NodeHarness& hub = fed.node(0);
  // Every puller connected and following before the baseline is taken.
  const absl::Time ready_by = absl::Now() + absl::Seconds(120);
  for (;;) {
    bool all = true;
    for (int i = 1; i <= o.pullers && all; ++i) {
      all = fed.node(i).Client({"--json", "peers"}).out.find("FOLLOWING") != std::string::npos;
    }
    if (all) break;
    if (absl::Now() > ready_by) {
      fprintf(stderr, "load test: not every puller was following after 120 s\n");
      return 1;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  const long threads_base = ProcStatus(hub.pid(), "Threads");
  const long rss_base = ProcStatus(hub.pid(), "VmRSS");

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::string first_failure;
  std::vector<std::thread> writers;
  for (int w = 0; w < o.writers; ++w) {
    writers.emplace_back([&, w] {
      for (int n = 0; !stop.load(); ++n) {
        const absl::Time start = absl::Now();
        RunResult put =
            hub.Client({"put", "--id", absl::StrCat("w", w, "-", n), "--title",
                        absl::StrCat("Carga ", w, " ", n), "--kind", "guide", "--sector", "health",
                        "--summary", "Material de prueba de carga para la red regional."});
        const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
        std::lock_guard<std::mutex> lock(mu);
        if (put.exit_code != 0) {
          if (failures.fetch_add(1) == 0) first_failure = put.err;
        } else {
          latencies_ms.push_back(ms);
        }
      }
    });
  }
  long threads_max = threads_base, rss_max = rss_base;
  const absl::Time begin = absl::Now(), end = begin + absl::Seconds(o.seconds);
  std::string trace;  // memory every tenth of the run
  int next_trace = 1;
  while (absl::Now() < end) {
    absl::SleepFor(absl::Seconds(1));
    const long threads = ProcStatus(hub.pid(), "Threads"), rss = ProcStatus(hub.pid(), "VmRSS");
    threads_max = std::max(threads_max, threads);
    rss_max = std::max(rss_max, rss);
    if (absl::Now() - begin >= next_trace * absl::Seconds(o.seconds) / 10) {
      absl::StrAppend(&trace, " ", rss / 1024);
      ++next_trace;
    }
  }
  stop = true;
  for (std::thread& t : writers) t.join();

  const absl::Time quiet = absl::Now();
  const bool converged = fed.WaitConverged(absl::Seconds(120));
  const double converge_s = absl::ToDoubleSeconds(absl::Now() - quiet);
  const long rss_end = ProcStatus(hub.pid(), "VmRSS");

  printf("load test: %d pullers, %d writers, %d s\n", o.pullers, o.writers, o.seconds);
  printf("  writes        %zu ok, %d failed; latency p50 %.1f ms, p99 %.1f ms\n",
         latencies_ms.size(), failures.load(), Percentile(latencies_ms, 0.5),
         Percentile(latencies_ms, 0.99));
  printf("  hub threads   %ld at start, %ld at most (bound +%ld)\n", threads_base, threads_max,
         kThreadSlack);
  printf(
      "  hub memory    %ld KiB at start, %ld at most, %ld at the end (bound "
      "+%ld)\n",
      rss_base, rss_max, rss_end, kRssGrowthKib);
  printf("  hub MiB       every tenth of the run:%s\n", trace.c_str());
  printf("  converged     %s in %.1f s after the writes stopped\n", converged ? "yes" : "NO",
         converge_s);
  bool ok = true;
  if (failures.load() > 0) {
    fprintf(stderr, "load test FAILED: %d writes failed; the first: %s\n", failures.load(),
            first_failure.c_str());
    ok = false;
  }
  if (threads_max > threads_base + kThreadSlack) {
    fprintf(stderr, "load test FAILED: the hub's threads grew from %ld to %ld\n", threads_base,
            threads_max);
    ok = false;
  }
#ifndef MINGA_SANITIZED
  if (rss_max > rss_base + kRssGrowthKib) {
    fprintf(stderr, "load test FAILED: the hub's memory grew from %ld to %ld KiB\n", rss_base,
            rss_max);
    ok = false;
  }
#endif
  if (!converged) {
    fprintf(stderr, "load test FAILED: the pullers did not converge within 120 s\n");
    ok = false;
  }
  for (int i = 0; i < fed.size(); ++i) fed.node(i).Stop();
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace minga::testing

int main(int argc, char** argv) {
  minga::testing::Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    int* target = a == "--pullers"   ? &o.pullers
                  : a == "--writers" ? &o.writers
                  : a == "--seconds" ? &o.seconds
                                     : nullptr;
    if (target != nullptr && i + 1 < argc && absl::SimpleAtoi(argv[i + 1], target) && *target > 0) {
      ++i;
      continue;
    }
    fprintf(stderr,
            "usage: load_test [--pullers N] [--writers W] [--seconds S]\n"
            "  --pullers N  partner nodes following the hub (default 20)\n"
            "  --writers W  clients putting materials into the hub (default 4)\n"
            "  --seconds S  how long the writers write (default 300)\n");
    return a == "--help" ? 0 : 2;
  }
  return minga::testing::RunLoad(o);
}
