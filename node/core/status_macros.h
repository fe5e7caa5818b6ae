// Early-return helpers for absl::Status and absl::StatusOr.
//
//   RETURN_IF_ERROR(DoThing());
//   ASSIGN_OR_RETURN(auto value, ComputeValue());
//
// Both evaluate their argument exactly once. This abseil release has no such
// macros of its own.
#ifndef MINGA_NODE_CORE_STATUS_MACROS_H_
#define MINGA_NODE_CORE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MINGA_CONCAT_INNER_(a, b) a##b
#define MINGA_CONCAT_(a, b) MINGA_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::absl::Status minga_status_ = (expr);         \
    if (!minga_status_.ok()) return minga_status_; \
  } while (0)

#define ASSIGN_OR_RETURN(lhs, expr) \
  MINGA_ASSIGN_OR_RETURN_IMPL_(MINGA_CONCAT_(minga_statusor_, __LINE__), lhs, expr)

#define MINGA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)  \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // MINGA_NODE_CORE_STATUS_MACROS_H_
