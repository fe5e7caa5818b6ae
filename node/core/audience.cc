#include "node/core/audience.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/status_macros.h"

namespace minga {

bool InAudience(const v1::Audience& audience, absl::string_view origin, absl::string_view org) {
  if (org == origin) return true;
  switch (audience.scope()) {
    case v1::Audience::PUBLIC:
      return true;
    case v1::Audience::MEMBERS:
      return std::binary_search(audience.members().begin(), audience.members().end(), org);
    default:
      return false;
  }
}

absl::Status NormalizeAudience(v1::Audience* audience, absl::string_view origin,
                               const std::function<bool(absl::string_view)>& is_member) {
  if (audience->scope() == v1::Audience::SCOPE_UNSPECIFIED) {
    audience->set_scope(v1::Audience::PUBLIC);
  }
  if (audience->scope() != v1::Audience::MEMBERS) {
    if (!audience->members().empty()) {
      return absl::InvalidArgumentError("audience.members: only a MEMBERS audience lists members");
    }
    return absl::OkStatus();
  }
  if (audience->members_size() > static_cast<int>(kMaxAudienceMembers)) {
    return absl::InvalidArgumentError(
        absl::StrCat("audience.members: too many entries: ", audience->members_size(), ", at most ",
                     kMaxAudienceMembers));
  }
  std::set<std::string> members;
  for (int i = 0; i < audience->members_size(); ++i) {
    const std::string& m = audience->members(i);
    const std::string field = absl::StrCat("audience.members[", i, "]");
    RETURN_IF_ERROR(CheckOrgId(m, field));
    if (m != origin && !is_member(m)) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": '", m, "' is not a federation member"));
    }
    members.insert(m);
  }
  members.insert(std::string(origin));
  // Counted as signed, origin included, so what a node writes its peers
  // accept (CheckCanonicalAudience applies the same bound).
  if (members.size() > kMaxAudienceMembers) {
    return absl::InvalidArgumentError(
        absl::StrCat("audience.members: too many entries: ", members.size(),
                     " with the origin, at most ", kMaxAudienceMembers));
  }
  audience->clear_members();
  for (const std::string& m : members) audience->add_members(m);
  return absl::OkStatus();
}

absl::Status CheckCanonicalAudience(const v1::Audience& audience, absl::string_view origin) {
  switch (audience.scope()) {
    case v1::Audience::PUBLIC:
    case v1::Audience::PRIVATE:
      if (!audience.members().empty()) {
        return absl::InvalidArgumentError(
            "audience.members: must be empty unless the scope is MEMBERS");
      }
      return absl::OkStatus();
    case v1::Audience::MEMBERS:
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("audience.scope: unknown scope ", audience.scope()));
  }
  if (audience.members_size() > static_cast<int>(kMaxAudienceMembers)) {
    return absl::InvalidArgumentError("audience.members: too many entries");
  }
  bool has_origin = false;
  for (int i = 0; i < audience.members_size(); ++i) {
    if (!IsValidOrgId(audience.members(i))) {
      return absl::InvalidArgumentError(absl::StrCat("audience.members[", i, "]: not an org id"));
    }
    if (i > 0 && audience.members(i - 1) >= audience.members(i)) {
      return absl::InvalidArgumentError("audience.members: not sorted and unique");
    }
    has_origin |= audience.members(i) == origin;
  }
  if (!has_origin) {
    return absl::InvalidArgumentError("audience.members: does not include the origin");
  }
  return absl::OkStatus();
}

}  // namespace minga
