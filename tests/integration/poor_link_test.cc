// Files over slow and poor links between real nodes: a per-peer limit keeps
// a transfer under its rate while `minga peers` shows its progress and the
// time left; over a slow, distant link (a shaping proxy: 1 MiB/s, 200 ms
// round trip) and, where the test runs as root with nftables, over the same
// link losing 2% of its packets in the kernel, a transfer completes and
// resumes after the link is cut for a while.
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/federation_harness.h"
#include "tests/util/file_helpers.h"
#include "tests/util/shaping_proxy.h"
#include "tests/util/status_matchers.h"

namespace minga::testing {
namespace {

using ::testing::HasSubstr;

// Two nodes: receptor (1) pulls from fuente (0), which holds a material
// with one file of `size` random bytes.
struct TwoNodes {
  explicit TwoNodes(const std::string& root) : fed(root, {"fuente", "receptor"}) {}
  bool AttachAtSource(uint64_t size) {
    if (!fed.node(0).Start()) return false;
    file = fed.node(0).dir() + "/../manual.pdf";
    WriteRandomFile(file, size, 4);
    return fed.node(0)
                   .Client({"put", "--id", "manual", "--title", "Manual", "--kind", "guide",
                            "--sector", "health"})
                   .exit_code == 0 &&
           fed.node(0).Client({"attach", "fuente/manual", file}).exit_code == 0;
  }
  // Whether the receiver holds the whole file, the same bytes.
  bool ReceivedWhole() {
    const std::string copy = file + ".copy";
    return fed.node(1)
                   .Client({"fetch", "fuente/manual", "manual.pdf", "-o", copy, "--local"})
                   .exit_code == 0 &&
           SameFile(file, copy);
  }
  FederationHarness fed;
  std::string file;
};

TEST(PoorLinkTest, APeerLimitHoldsTheRateAndPeersShowsTheTimeLeft) {
  TempDir tmp;
  TwoNodes t(tmp.path());
  t.fed.LinkWith(1, 0, "max_file_kib_per_second: 512");
  ASSERT_TRUE(t.fed.Setup());
  constexpr uint64_t kSize = 8 * kMiB;
  ASSERT_TRUE(t.AttachAtSource(kSize)) << t.fed.node(0).log();
  const absl::Time start = absl::Now();
  ASSERT_TRUE(t.fed.node(1).Start());
  // While it runs, peers and files say what is left, how fast, and for
  // how long.
  std::string shown, files_shown;
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (absl::Now() < deadline && (shown.empty() || files_shown.empty())) {
    const std::string json = t.fed.node(1).Client({"--json", "peers"}).out;
    if (shown.empty() && JsonNumber(json, "file_seconds_left") > 0 &&
        JsonNumber(json, "bytes_queued") > 0) {
      shown = t.fed.node(1).Client({"peers"}).out;
    }
    const std::string files_json = t.fed.node(1).Client({"--json", "files", "fuente/manual"}).out;
    if (files_shown.empty() && JsonNumber(files_json, "seconds_left") > 0) {
      files_shown = t.fed.node(1).Client({"files", "fuente/manual"}).out;
    }
    if (json.find("\"chunks_fetched\"") != std::string::npos &&
        json.find("\"chunks_queued\"") == std::string::npos) {
      break;  // done before a rate was known
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(shown, HasSubstr(" to go, ")) << shown;
  EXPECT_THAT(shown, HasSubstr(", about ")) << shown;
  EXPECT_THAT(shown, HasSubstr("limit 512.0 KiB/s")) << shown;
  EXPECT_THAT(files_shown, HasSubstr(" to go, about ")) << files_shown;
  EXPECT_THAT(files_shown, HasSubstr("chunks come from fuente at ")) << files_shown;
  ASSERT_TRUE(WaitComplete(t.fed.node(1), "fuente/manual", absl::Seconds(120)));
  // A second's worth passes at once, and each of the 4 calls in flight
  // may store one chunk (at most 1 MiB) before it waits for it; the rest
  // goes at the limit. A floor on the time, which no busy machine breaks.
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  EXPECT_GE(seconds, (kSize - 512 * 1024 - 4 * kMiB) / (512.0 * 1024)) << "faster than its limit";
  printf("8 MiB under a 512 KiB/s limit: %.1f s\n", seconds);
  EXPECT_TRUE(t.ReceivedWhole());
}

// Cuts the link mid-transfer for five seconds (after some bytes came,
// before all did), mends it, and waits until the file is complete.
void CutMidTransferAndComplete(TwoNodes& t, uint64_t size, const std::function<bool(bool)>& cut) {
  const absl::Time deadline = absl::Now() + absl::Seconds(300);
  uint64_t before_cut = 0;
  while (absl::Now() < deadline) {
    before_cut = JsonNumber(t.fed.node(1).Client({"--json", "peers"}).out, "bytes_fetched");
    if (before_cut > 0) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_GT(before_cut, 0u) << t.fed.node(1).log();
  ASSERT_LT(before_cut, size) << "the transfer ended before the cut";
  ASSERT_TRUE(cut(true));
  absl::SleepFor(absl::Seconds(5));  // the outage itself, not a wait for an event
  ASSERT_TRUE(cut(false));
  ASSERT_TRUE(WaitComplete(t.fed.node(1), "fuente/manual", absl::Seconds(600)))
      << t.fed.node(1).Client({"peers"}).out << t.fed.node(1).log();
  EXPECT_TRUE(t.ReceivedWhole());
}

// Through a proxy that delays each byte 100 ms each way and paces the link
// to 1 MiB/s, cut for five seconds mid-transfer: the file completes.
TEST(PoorLinkTest, AFileCrossesASlowDistantLinkAndResumesAfterACut) {
  TempDir tmp;
  TwoNodes t(tmp.path());
  const int proxy_port = FreePort();
  t.fed.LinkWith(1, 0, absl::StrCat("address: \"127.0.0.1:", proxy_port, "\""));
  ASSERT_TRUE(t.fed.Setup());
  constexpr uint64_t kSize = 6 * kMiB;
  ASSERT_TRUE(t.AttachAtSource(kSize)) << t.fed.node(0).log();
  ShapingProxy link(absl::Milliseconds(100), kMiB);
  ASSERT_OK(link.Start(proxy_port, t.fed.port(0)));
  const absl::Time start = absl::Now();
  ASSERT_TRUE(t.fed.node(1).Start());
  CutMidTransferAndComplete(t, kSize, [&](bool cut) {
    link.Cut(cut);
    return true;
  });
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  printf("6 MiB over 1 MiB/s and 200 ms, cut for 5 s: %.1f s\n", seconds);
  EXPECT_GE(seconds, 6.0 + 5.0) << "faster than the link";
  EXPECT_EQ(t.fed.node(1).Stop(), 0);
}

// Drops a share of the packets to and from one loopback address in the
// kernel (nftables: a random number per packet), so TCP meets real loss and
// recovers from it as on a real link; a cut drops them all. The rules go
// away when this is destroyed. This machine's kernel has no netem, so the
// delay and the rate come from a ShapingProxy listening on that address.
// Loopback sends up to 64 KiB in one packet (segmentation offload), so a
// loss here takes a burst of segments at once: harder on TCP, not easier.
class LossyAddress {
 public:
  LossyAddress(const std::string& host, int percent) : host_(host), percent_(percent) {
    Nft("delete table inet minga_poor_link");  // a leftover of a killed run
    ok_ = Nft("add table inet minga_poor_link") &&
          Nft("add counter inet minga_poor_link dropped") &&
          Nft("add chain inet minga_poor_link input { type filter hook input priority 0 ; }") &&
          Drop(percent_);
  }
  ~LossyAddress() { Nft("delete table inet minga_poor_link"); }
  bool ok() const { return ok_; }
  // Every packet lost (a cut link), or back to the lossy one.
  bool Cut(bool cut) {
    return Nft("flush chain inet minga_poor_link input") && Drop(cut ? 100 : percent_);
  }
  // How many packets the rules have dropped; -1 when the counter cannot be read.
  long Dropped() const {
    const RunResult r =
        Run({"/usr/sbin/nft", "list", "counter", "inet", "minga_poor_link", "dropped"});
    const size_t at = r.out.find("packets ");
    if (r.exit_code != 0 || at == std::string::npos) return -1;
    return std::strtol(r.out.c_str() + at + 8, nullptr, 10);
  }

 private:
  bool Drop(int percent) {
    for (const char* way : {"saddr", "daddr"}) {
      const std::string share =
          percent >= 100 ? "" : absl::StrCat(" numgen random mod 100 < ", percent);
      if (!Nft(absl::StrCat("add rule inet minga_poor_link input ip ", way, " ", host_, share,
                            " counter name dropped drop"))) {
        return false;
      }
    }
    return true;
  }
  static bool Nft(const std::string& args) {
    std::vector<std::string> argv = {"/usr/sbin/nft"};
    for (absl::string_view a : absl::StrSplit(args, ' ', absl::SkipEmpty())) {
      argv.emplace_back(a);
    }
    return Run(argv).exit_code == 0;
  }
  const std::string host_;
  const int percent_;
  bool ok_ = false;
};

// 2% of the packets lost each way, 100 ms each way and 1 MiB/s, cut for
// five seconds mid-transfer: the file completes, and packets were lost.
TEST(PoorLinkTest, AFileCrossesALossyLinkAndResumesAfterACut) {
  if (::geteuid() != 0) GTEST_SKIP() << "dropping loopback packets needs root";
  if (::access("/usr/sbin/nft", X_OK) != 0) GTEST_SKIP() << "no nft (Debian's nftables)";
  TempDir tmp;
  TwoNodes t(tmp.path());
  constexpr char kHost[] = "127.0.0.77";
  const int proxy_port = FreePort();
  t.fed.LinkWith(1, 0, absl::StrCat("address: \"", kHost, ":", proxy_port, "\""));
  ASSERT_TRUE(t.fed.Setup());
  constexpr uint64_t kSize = 6 * kMiB;
  ASSERT_TRUE(t.AttachAtSource(kSize)) << t.fed.node(0).log();
  ShapingProxy shaper(absl::Milliseconds(100), kMiB);
  ASSERT_OK(shaper.Start(proxy_port, t.fed.port(0), kHost));
  LossyAddress link(kHost, 2);
  if (!link.ok()) GTEST_SKIP() << "this kernel does not allow nftables rules";
  const absl::Time start = absl::Now();
  ASSERT_TRUE(t.fed.node(1).Start());
  long at_cut = -1, at_mend = -1;  // the kernel's count of dropped packets
  CutMidTransferAndComplete(t, kSize, [&](bool cut) {
    (cut ? at_cut : at_mend) = link.Dropped();
    return link.Cut(cut);
  });
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  // The loss was real: the kernel dropped packets while bytes flowed, not
  // only while the link was cut.
  const long lost_while_up = at_cut + (link.Dropped() - at_mend);
  printf("6 MiB over 1 MiB/s, 200 ms, 2%% loss, cut for 5 s: %.1f s, %ld packets lost\n", seconds,
         lost_while_up);
  EXPECT_GE(seconds, 6.0 + 5.0) << "faster than the link";
  ASSERT_GE(at_cut, 0) << "cannot read the nftables counter";
  EXPECT_GT(lost_while_up, 0);
  EXPECT_EQ(t.fed.node(1).Stop(), 0);
  EXPECT_EQ(t.fed.node(0).Stop(), 0);
}

}  // namespace
}  // namespace minga::testing
