// Files for multi-process tests: random files, byte comparison, and waits
// on a node's file and chunk counts.
#ifndef MINGA_TESTS_UTIL_FILE_HELPERS_H_
#define MINGA_TESTS_UTIL_FILE_HELPERS_H_

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <random>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/util/federation_harness.h"

namespace minga::testing {

inline constexpr uint64_t kMiB = 1 << 20;

inline void WriteRandomFile(const std::string& path, uint64_t size, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::ofstream out(path, std::ios::binary);
  std::string buf(kMiB, '\0');
  for (uint64_t done = 0; done < size; done += kMiB) {
    for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
      const uint64_t v = rng();
      std::memcpy(&buf[i], &v, 8);
    }
    out.write(buf.data(), std::min<uint64_t>(kMiB, size - done));
  }
}

inline bool SameFile(const std::string& a, const std::string& b) {
  std::ifstream x(a, std::ios::binary), y(b, std::ios::binary);
  std::string bx(kMiB, '\0'), by(kMiB, '\0');
  while (x && y) {
    x.read(bx.data(), bx.size());
    y.read(by.data(), by.size());
    if (x.gcount() != y.gcount() || bx.compare(0, x.gcount(), by, 0, y.gcount()) != 0) return false;
  }
  return !x && !y;
}

// A failed status fails the test and never reads as a count (above all not
// as 0, which the purge checks wait for).
inline uint64_t ChunksStored(NodeHarness& n) {
  RunResult status = n.Client({"--json", "status"});
  EXPECT_EQ(status.exit_code, 0) << n.org() << ": status failed: " << status.err;
  if (status.exit_code != 0) return std::numeric_limits<uint64_t>::max();
  return JsonNumber(status.out, "chunks_stored");
}

inline bool WaitComplete(NodeHarness& n, const std::string& id, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (AllFilesComplete(n.Client({"--json", "files", id}).out)) return true;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return false;
}

}  // namespace minga::testing

#endif  // MINGA_TESTS_UTIL_FILE_HELPERS_H_
