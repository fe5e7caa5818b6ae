// The crash loop: three real nodes in a line (ana <-> bea <-> cy, mutual TLS
// on loopback, files eager) taken through kill -9 cycles at random moments
// of an import, a file upload, a retraction or a reindex, and restarted
// each time. After every cycle it checks, against a model of what each
// origin acknowledged:
//   - every acknowledged write is at its origin, as acknowledged (a write
//     cut by the kill may be there or not, but once seen it stays);
//   - once quiet, all nodes converge to one digest with their search
//     indexes caught up (a checkpoint that ran ahead of its data would keep
//     a node from ever converging);
//   - each index holds exactly the materials held with a body (no
//     half-indexed or stale document);
//   - every file is complete everywhere and every node holds the same
//     chunks (no orphan chunk left by a cut upload, none missing).
//
//   crash_loop [--cycles N] [--seed S] [--keep]
//
// Prints the seed first; the same seed replays the same choices (the
// moments the kernel schedules still differ). Exits 1 on the first broken
// check, naming the cycle, and keeps the nodes' directories.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/util/federation_harness.h"
#include "tests/util/process.h"

namespace minga::testing {
namespace {

constexpr int kWriters[] = {0, 2};  // ana and cy write; bea relays

// What may be at the origin for one material: its title, or nullopt for
// retracted. More than one while a write cut by a kill is not yet seen.
using Title = std::optional<std::string>;

struct Options {
  int cycles = 100;
  uint64_t seed = 0;
  bool keep = false;
};

class CrashLoop {
 public:
  CrashLoop(const std::string& root, Options options)
      : options_(options), rng_(options.seed), root_(root), fed_(root, {"ana", "bea", "cy"}) {}

  int Run() {
    fed_.LinkBoth(0, 1);
    fed_.LinkBoth(1, 2);
    if (!fed_.Setup() || !fed_.StartAll()) {
      Fail("the nodes did not start");
      return 1;
    }
    const absl::Time start = absl::Now();
    for (cycle_ = 1; cycle_ <= options_.cycles; ++cycle_) {
      if (!Cycle()) return 1;
    }
    printf("crash loop: %d cycles in %.0f s, seed %llu; kills by action:", options_.cycles,
           absl::ToDoubleSeconds(absl::Now() - start),
           static_cast<unsigned long long>(options_.seed));
    for (const auto& [action, n] : kills_) printf(" %s %d", action.c_str(), n);
    printf("; slowest restart %.2f s; %zu materials\n", absl::ToDoubleSeconds(slowest_restart_),
           model_.size());
    for (int i = 0; i < fed_.size(); ++i) fed_.node(i).Stop();
    return 0;
  }

 private:
  int Random(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  bool Fail(const std::string& what) {
    fprintf(stderr,
            "crash loop FAILED at cycle %d (seed %llu, replay with --seed "
            "%llu): %s\n",
            cycle_, static_cast<unsigned long long>(options_.seed),
            static_cast<unsigned long long>(options_.seed), what.c_str());
    for (int i = 0; i < fed_.size(); ++i) {
      fprintf(stderr, "--- %s status: %s\n", fed_.node(i).org().c_str(),
              fed_.StatusJson(i).c_str());
    }
    fprintf(stderr, "nodes' directories kept in %s\n", root_.c_str());
    keep_ = true;
    return false;
  }

  std::string NewId(int origin) { return absl::StrCat(fed_.node(origin).org(), "/m", next_id_++); }
  std::string NewTitle() { return absl::StrCat("crash c", cycle_, " t", next_title_++); }

  // Ids of `origin` the model says are certainly present.
  std::vector<std::string> Present(int origin) {
    std::vector<std::string> ids;
    const std::string prefix = fed_.node(origin).org() + "/";
    for (const auto& [id, states] : model_) {
      if (absl::StartsWith(id, prefix) && states.size() == 1 && states[0].has_value()) {
        ids.push_back(id);
      }
    }
    return ids;
  }

  // One action in the background, a kill -9 of a random node at a random
  // moment, its restart, then the checks.
  bool Cycle() {
    const int origin = kWriters[Random(0, 1)];
    NodeHarness& writer = fed_.node(origin);
    std::map<std::string, Title> writing;  // what the action writes
    std::vector<std::string> args;
    std::string action;
    int at = origin;  // the node the action talks to
    switch (Random(0, 9)) {
      case 0:
      case 1:
      case 2:
      case 3: {
        action = "import";
        std::string lines;
        const int n = Random(1, 300);
        std::vector<std::string> present = Present(origin);
        for (int i = 0; i < n; ++i) {
          // Some edits of held materials, each at most once per file (a cut
          // import may have applied any prefix of it).
          std::string id = NewId(origin);
          if (!present.empty() && Random(0, 3) == 0) {
            const size_t k = Random(0, static_cast<int>(present.size()) - 1);
            id = present[k];
            present.erase(present.begin() + k);
          }
          const std::string title = NewTitle();
          writing[id] = title;
          absl::StrAppend(&lines, "{\"id\":\"", id, "\",\"title\":\"", title,
                          "\",\"kind\":\"guide\",\"sectors\":[\"health\"],\"summary\":\"",
                          "prevención atención servicios esenciales ", title, "\"}\n");
        }
        const std::string file = absl::StrCat(root_, "/import-", cycle_, ".jsonl");
        WriteFile(file, lines);
        args = {"import", file};
        break;
      }
      case 4:
      case 5: {
        action = "attach";
        const std::string id = NewId(origin);
        const std::string title = NewTitle();
        RunResult put = writer.Client(
            {"put", "--id", id, "--title", title, "--kind", "video", "--sector", "justice"});
        if (put.exit_code != 0) return Fail("put before attach: " + put.err);
        model_[id] = {title};
        std::string bytes(Random(64 << 10, 6 << 20), '\0');
        for (char& c : bytes) c = static_cast<char>(rng_());
        const std::string file = absl::StrCat(root_, "/file-", cycle_, ".bin");
        WriteFile(file, bytes);
        args = {"attach", id, file};
        break;
      }
      case 6:
      case 7: {
        std::vector<std::string> present = Present(origin);
        if (present.empty()) return Cycle();
        action = "retract";
        args = {"rm"};
        for (int i = Random(1, 5); i > 0 && !present.empty(); --i) {
          const size_t k = Random(0, static_cast<int>(present.size()) - 1);
          writing[present[k]] = std::nullopt;
          args.push_back(present[k]);
          present.erase(present.begin() + k);
        }
        break;
      }
      default:
        action = "reindex";
        at = Random(0, 2);
        args = {"reindex"};
        break;
    }
    // The model: each written material may now be either way.
    for (const auto& [id, title] : writing) {
      // A new material: absent until the write is acknowledged.
      std::vector<Title>& states =
          model_.try_emplace(id, std::vector<Title>{Title()}).first->second;
      if (std::find(states.begin(), states.end(), title) == states.end()) states.push_back(title);
    }

    NodeHarness& talk = fed_.node(at);
    std::vector<std::string> argv = {MINGA_CLIENT_BIN, "--node", "unix:" + talk.socket()};
    argv.insert(argv.end(), args.begin(), args.end());
    Process client;
    const std::string client_log = absl::StrCat(root_, "/client-", cycle_, ".log");
    client.Start(argv, client_log);
    const int victim = Random(0, 2);
    absl::SleepFor(absl::Milliseconds(Random(0, 400)));
    fed_.node(victim).Kill9();
    ++kills_[action];
    const int client_exit = client.Wait(absl::Seconds(120));
    const absl::Time restart = absl::Now();
    if (!fed_.node(victim).Start(absl::Seconds(120))) {
      return Fail(absl::StrCat(fed_.node(victim).org(), " did not restart after kill -9:\n",
                               fed_.node(victim).log()));
    }
    slowest_restart_ = std::max(slowest_restart_, absl::Now() - restart);
    if (client_exit == 0) {
      // Acknowledged: only the new state may be there.
      for (const auto& [id, title] : writing) model_[id] = {title};
    } else if (victim != at) {
      return Fail(absl::StrCat(action, " at ", talk.org(), " failed though ",
                               fed_.node(victim).org(),
                               " was killed: ", ReadFileOrEmpty(client_log)));
    }
    return CheckOrigins() && CheckConverged();
  }

  // Every origin holds what it acknowledged.
  bool CheckOrigins() {
    for (int origin : kWriters) {
      RunResult out = fed_.node(origin).Client({"export", "--format", "jsonl"});
      if (out.exit_code != 0) return Fail("export: " + out.err);
      std::map<std::string, std::string> held;
      for (absl::string_view line : absl::StrSplit(out.out, '\n', absl::SkipEmpty())) {
        const std::string l(line);
        std::string id = JsonField(l, "id");
        if (id.find('/') == std::string::npos) id = fed_.node(origin).org() + "/" + id;
        held[id] = JsonField(l, "title");
      }
      const std::string prefix = fed_.node(origin).org() + "/";
      for (auto& [id, states] : model_) {
        if (!absl::StartsWith(id, prefix)) continue;
        auto it = held.find(id);
        const Title seen = it == held.end() ? Title() : Title(it->second);
        if (std::find(states.begin(), states.end(), seen) == states.end()) {
          return Fail(absl::StrCat(id, " at its origin is ", seen.value_or("absent"),
                                   "; acknowledged: ", states[0].value_or("retracted")));
        }
        states = {seen};  // seen after a restart: durable from now on
      }
    }
    return true;
  }

  bool CheckConverged() {
    if (!fed_.WaitConverged(absl::Seconds(300))) return Fail("the nodes did not converge");
    // Files: complete everywhere, the same chunks everywhere.
    const absl::Time deadline = absl::Now() + absl::Seconds(120);
    std::vector<std::string> status(fed_.size());
    for (;;) {
      bool complete = true;
      for (int i = 0; i < fed_.size(); ++i) {
        status[i] = fed_.StatusJson(i);
        complete = complete && JsonNumber(status[i], "files_missing") == 0 &&
                   JsonNumber(status[i], "chunks_missing") == 0;
      }
      if (complete) break;
      if (absl::Now() > deadline) {
        std::string seen;
        for (const std::string& st : status) absl::StrAppend(&seen, "\n  ", st);
        return Fail("files did not complete:" + seen);
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    for (int i = 0; i < fed_.size(); ++i) {
      if (JsonNumber(status[i], "chunks_stored") != JsonNumber(status[0], "chunks_stored") ||
          JsonNumber(status[i], "chunk_bytes") != JsonNumber(status[0], "chunk_bytes")) {
        return Fail(absl::StrCat("chunks differ: ", fed_.node(i).org(), " holds ",
                                 JsonNumber(status[i], "chunks_stored"), " (",
                                 JsonNumber(status[i], "chunk_bytes"), " bytes), ",
                                 fed_.node(0).org(), " ", JsonNumber(status[0], "chunks_stored"),
                                 " (", JsonNumber(status[0], "chunk_bytes"), " bytes)"));
      }
      // Each origin's "materials" counts those held with a body.
      uint64_t held = 0;
      const std::string needle = "\"materials\":\"";
      for (size_t p = status[i].find(needle); p != std::string::npos;
           p = status[i].find(needle, p + 1)) {
        uint64_t n = 0;
        const size_t from = p + needle.size();
        if (absl::SimpleAtoi(status[i].substr(from, status[i].find('"', from) - from), &n)) {
          held += n;
        }
      }
      if (JsonNumber(status[i], "index_documents") != held) {
        return Fail(absl::StrCat(fed_.node(i).org(), " indexes ",
                                 JsonNumber(status[i], "index_documents"), " documents but holds ",
                                 held, " materials"));
      }
    }
    return true;
  }

 public:
  bool keep() const { return keep_ || options_.keep; }

 private:
  Options options_;
  std::mt19937_64 rng_;
  std::string root_;
  FederationHarness fed_;
  std::map<std::string, std::vector<Title>> model_;
  std::map<std::string, int> kills_;
  absl::Duration slowest_restart_;
  int cycle_ = 0;
  int next_id_ = 0;
  int next_title_ = 0;
  bool keep_ = false;
};

}  // namespace
}  // namespace minga::testing

int main(int argc, char** argv) {
  minga::testing::Options options;
  options.seed = std::random_device()();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--cycles" && i + 1 < argc && absl::SimpleAtoi(argv[i + 1], &options.cycles) &&
        options.cycles > 0) {
      ++i;
    } else if (a == "--seed" && i + 1 < argc && absl::SimpleAtoi(argv[i + 1], &options.seed)) {
      ++i;
    } else if (a == "--keep") {
      options.keep = true;
    } else {
      fprintf(stderr,
              "usage: crash_loop [--cycles N] [--seed S] [--keep]\n"
              "  --cycles N  kill -9 cycles (default 100; N > 0)\n"
              "  --seed S    replay the choices of an earlier run\n"
              "  --keep      keep the nodes' directories\n");
      return a == "--help" ? 0 : 2;
    }
  }
  printf("crash loop: seed %llu, %d cycles\n", static_cast<unsigned long long>(options.seed),
         options.cycles);
  fflush(stdout);
  minga::testing::TempDir dir;
  int rc;
  bool keep;
  {
    minga::testing::CrashLoop loop(dir.path(), options);
    rc = loop.Run();
    keep = loop.keep();
  }
  if (keep) setenv("MINGA_KEEP_TEST_DIRS", "1", 1);
  return rc;
}
