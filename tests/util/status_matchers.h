// gMock matchers for absl::Status and absl::StatusOr (this abseil has none).
//
//   EXPECT_THAT(DoThing(), IsOk());
//   EXPECT_THAT(Parse(x), StatusIs(absl::StatusCode::kInvalidArgument,
//                                  HasSubstr("title")));
#ifndef MINGA_TESTS_UTIL_STATUS_MATCHERS_H_
#define MINGA_TESTS_UTIL_STATUS_MATCHERS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minga::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, "has status code " + absl::StatusCodeToString(code)) {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + absl::StatusCodeToString(code) + " and a matching message") {
  const absl::Status& s = GetStatus(arg);
  *result_listener << "status is " << s.ToString();
  return s.code() == code && ::testing::Matches(message_matcher)(std::string(s.message()));
}

}  // namespace minga::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::minga::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::minga::testing::IsOk())

// ASSERT_OK_AND_ASSIGN(auto x, MakeX());
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  MINGA_TEST_AOA_IMPL_(MINGA_TEST_CONCAT_(statusor_, __LINE__), lhs, expr)
#define MINGA_TEST_CONCAT_INNER_(a, b) a##b
#define MINGA_TEST_CONCAT_(a, b) MINGA_TEST_CONCAT_INNER_(a, b)
#define MINGA_TEST_AOA_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                         \
  ASSERT_OK(statusor);                            \
  lhs = std::move(statusor).value()

#endif  // MINGA_TESTS_UTIL_STATUS_MATCHERS_H_
