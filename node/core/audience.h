// Audience rules: who may hold a material's body. Pure, thread-safe.
#ifndef MINGA_NODE_CORE_AUDIENCE_H_
#define MINGA_NODE_CORE_AUDIENCE_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "minga/v1/revision.pb.h"

namespace minga {

// True when `org` may hold the body of a material of `origin` with this
// audience. The origin always may.
bool InAudience(const v1::Audience& audience, absl::string_view origin, absl::string_view org);

// Turns a client's audience into the canonical form signed into headers:
// scope set (unset means PUBLIC), members sorted, unique, including the
// origin, and empty unless the scope is MEMBERS. `is_member` tells whether
// an org id belongs to the federation; a MEMBERS audience naming anyone else
// is INVALID_ARGUMENT ("audience.members[1]: 'x' is not a federation
// member").
absl::Status NormalizeAudience(v1::Audience* audience, absl::string_view origin,
                               const std::function<bool(absl::string_view)>& is_member);

// Checks that a signed header's audience is canonical. INVALID_ARGUMENT
// otherwise. Canonical form makes "same audience" a byte comparison.
absl::Status CheckCanonicalAudience(const v1::Audience& audience, absl::string_view origin);

}  // namespace minga

#endif  // MINGA_NODE_CORE_AUDIENCE_H_
