// CRC32C: the standard check value, and the processor's instruction agreeing
// with the portable table on every length and alignment.
#include "node/store/crc32c.h"

#include <random>
#include <string>

#include "gtest/gtest.h"
#include "tests/util/process.h"

namespace minga {
namespace {

TEST(Crc32cTest, MatchesTheStandardCheckValues) {
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32cPortable("123456789"), 0xe3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  // RFC 3720 (iSCSI), B.4: 32 bytes of zeros.
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8a9136aau);
}

TEST(Crc32cTest, TheFastPathAgreesWithThePortableOneAtEveryLengthAndOffset) {
#if defined(__x86_64__) && defined(__linux__)
  // Where the processor has it, the fast path is the one compared.
  const bool has = testing::ReadFileOrEmpty("/proc/cpuinfo").find(" sse4_2") != std::string::npos;
  EXPECT_EQ(Crc32cUsesSse42(), has);
#endif
  std::mt19937 random(7);
  std::string bytes(4096 + 16, '\0');
  for (char& c : bytes) c = static_cast<char>(random());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t size : {0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4096}) {
      const absl::string_view data(bytes.data() + offset, size);
      EXPECT_EQ(Crc32c(data), Crc32cPortable(data)) << "offset " << offset << ", size " << size;
      EXPECT_EQ(Crc32c(data, 0x12345678), Crc32cPortable(data, 0x12345678)) << size;
    }
  }
}

TEST(Crc32cTest, ExtendsAcrossPieces) {
  const std::string all = "the header, then the bytes";
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    const absl::string_view a = absl::string_view(all).substr(0, cut);
    const absl::string_view b = absl::string_view(all).substr(cut);
    EXPECT_EQ(Crc32c(b, Crc32c(a)), Crc32c(all)) << cut;
    EXPECT_EQ(Crc32cPortable(b, Crc32cPortable(a)), Crc32c(all)) << cut;
  }
}

TEST(Crc32cTest, AnyFlippedBitChangesIt) {
  std::string data(1000, 'x');
  const uint32_t good = Crc32c(data);
  for (size_t bit = 0; bit < data.size() * 8; bit += 97) {
    data[bit / 8] ^= static_cast<char>(1 << (bit % 8));
    EXPECT_NE(Crc32c(data), good) << "bit " << bit;
    data[bit / 8] ^= static_cast<char>(1 << (bit % 8));
  }
}

}  // namespace
}  // namespace minga
