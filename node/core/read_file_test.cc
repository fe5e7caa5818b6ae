#include "node/core/read_file.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/status_matchers.h"

namespace minga {
namespace {

using ::minga::testing::StatusIs;
using ::testing::HasSubstr;

class ReadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/minga-read-file-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  std::string dir_;
};

TEST_F(ReadFileTest, ReadsEveryByteUpToTheBound) {
  const std::string bytes = std::string("a\0b", 3) + std::string(200000, 'x');
  const std::string path = Write("f", bytes);
  ASSERT_OK_AND_ASSIGN(std::string read, ReadFileToString(path, bytes.size()));
  EXPECT_EQ(read, bytes);
  ASSERT_OK_AND_ASSIGN(std::string empty, ReadFileToString(Write("e", ""), 0));
  EXPECT_EQ(empty, "");
}

TEST_F(ReadFileTest, ErrorsNameThePathAndTheReason) {
  EXPECT_THAT(
      ReadFileToString(dir_ + "/missing", 10),
      StatusIs(absl::StatusCode::kNotFound, HasSubstr("cannot read '" + dir_ + "/missing'")));
  EXPECT_THAT(ReadFileToString(Write("big", std::string(11, 'x')), 10),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("is larger than 10 bytes")));
  EXPECT_THAT(ReadFileToString(dir_, 10),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("Is a directory")));
}

}  // namespace
}  // namespace minga
