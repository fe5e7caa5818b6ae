#include "node/core/log.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace minga {
namespace {

const absl::Time kAt = absl::FromUnixMillis(1764756000123);  // 2025-12-03T10:00:00.123Z

TEST(LogTest, TextLinesCarryTimeLevelComponentAndMessage) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kAt, LogLevel::kWarning, "sync", "peer ana: refused"),
            "2025-12-03T10:00:00.123Z WARN sync: peer ana: refused");
}

TEST(LogTest, JsonLinesAreOneObjectWithTheSameFieldsWhateverTheMessageHolds) {
  const std::string line = FormatLogLine(LogFormat::kJson, kAt, LogLevel::kError, "store",
                                         "a \"quoted\"\nsecond line \xFF (not UTF-8)");
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one line per event";
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["time"], "2025-12-03T10:00:00.123Z");
  EXPECT_EQ(parsed["level"], "error");
  EXPECT_EQ(parsed["component"], "store");
  EXPECT_EQ(parsed["msg"], "a \"quoted\"\nsecond line \xEF\xBF\xBD (not UTF-8)");
}

TEST(LogTest, FieldsFollowTheMessageAsKeyValuePairsQuotedWhenNeeded) {
  EXPECT_EQ(FormatLogLine(LogFormat::kText, kAt, LogLevel::kWarning, "sync", "pull failed",
                          {{"peer", "ana"},
                           {"failures", 3},
                           {"error", "no route to host"},
                           {"path", "a=\"b\"\n"},
                           {"empty", ""},
                           {"level", "mine"}}),
            "2025-12-03T10:00:00.123Z WARN sync: pull failed peer=ana failures=3 "
            "error=\"no route to host\" path=\"a=\\\"b\\\"\\n\" empty=\"\" field_level=mine");
}

TEST(LogTest, JsonFieldsAreMembersNumbersAsNumbers) {
  const std::string line =
      FormatLogLine(LogFormat::kJson, kAt, LogLevel::kInfo, "interlock", "held",
                    {{"origin", "ana"}, {"held", uint64_t{150}}, {"msg", "x"}});
  const nlohmann::json parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], "held");
  EXPECT_EQ(parsed["origin"], "ana");
  EXPECT_EQ(parsed["held"], 150);
  EXPECT_EQ(parsed["field_msg"], "x");
}

}  // namespace
}  // namespace minga
