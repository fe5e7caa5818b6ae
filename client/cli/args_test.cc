#include "client/cli/args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/status_matchers.h"

namespace minga::cli {
namespace {

using ::minga::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const FlagSpec kSpec{{"origin", "o", "page-size"}, {"sector"}, {"all", "wait"}};

absl::StatusOr<Args> ParseOf(std::vector<std::string> argv) { return Args::Parse(argv, kSpec); }

TEST(ArgsTest, ValuesRepeatsBooleansAndPositionalsInAnyOrder) {
  ASSERT_OK_AND_ASSIGN(Args args,
                       ParseOf({"first", "--origin", "ana", "--sector=health", "--all", "second",
                                "--sector", "justice", "-o", "out.json", "--origin=luz"}));
  EXPECT_THAT(args.positional(), ElementsAre("first", "second"));
  EXPECT_EQ(args.Get("origin"), "luz");  // the last one wins
  EXPECT_THAT(args.GetAll("sector"), ElementsAre("health", "justice"));
  EXPECT_EQ(args.GetOr("o", ""), "out.json");
  EXPECT_TRUE(args.Has("all"));
  EXPECT_FALSE(args.Has("wait"));
  EXPECT_FALSE(args.Has("page-size"));
  EXPECT_EQ(args.Get("page-size"), std::nullopt);
  EXPECT_EQ(args.GetOr("page-size", "10"), "10");
}

TEST(ArgsTest, AfterDoubleDashEverythingIsPositional) {
  ASSERT_OK_AND_ASSIGN(Args args, ParseOf({"--all", "--", "--origin", "-", "-x"}));
  EXPECT_TRUE(args.Has("all"));
  EXPECT_THAT(args.positional(), ElementsAre("--origin", "-", "-x"));
  ASSERT_OK_AND_ASSIGN(Args dash, ParseOf({"-"}));
  EXPECT_THAT(dash.positional(), ElementsAre("-"));
}

TEST(ArgsTest, ErrorsNameTheFlag) {
  EXPECT_THAT(ParseOf({"--colour", "red"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown flag '--colour'; see --help")));
  EXPECT_THAT(ParseOf({"id", "--origin"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--origin needs a value")));
  EXPECT_THAT(ParseOf({"--all=yes"}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--all takes no value")));
}

TEST(ArgsTest, WholeNumbersAreCheckedAgainstTheirBounds) {
  ASSERT_OK_AND_ASSIGN(Args args, ParseOf({"--page-size", "50"}));
  ASSERT_OK_AND_ASSIGN(int64_t page_size, args.GetInt("page-size", 10, 1, 1000));
  EXPECT_EQ(page_size, 50);
  ASSERT_OK_AND_ASSIGN(int64_t fallback, args.GetInt("wait", 7, 1, 1000));
  EXPECT_EQ(fallback, 7);
  ASSERT_OK_AND_ASSIGN(Args big, ParseOf({"--page-size=5000"}));
  EXPECT_THAT(big.GetInt("page-size", 10, 1, 1000),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--page-size: '5000' is not a whole number between 1 and 1000")));
}

}  // namespace
}  // namespace minga::cli
