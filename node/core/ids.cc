#include "node/core/ids.h"

#include "absl/strings/str_cat.h"
#include "node/core/limits.h"
#include "node/core/text.h"

namespace minga {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

bool IsValidOrgId(absl::string_view org_id) {
  if (org_id.size() < 2 || org_id.size() > 32) return false;
  if (org_id.front() == '-' || org_id.back() == '-') return false;
  for (char c : org_id) {
    if (!IsLowerAlnum(c) && c != '-') return false;
  }
  return true;
}

absl::Status CheckOrgId(absl::string_view org_id, absl::string_view field) {
  if (IsValidOrgId(org_id)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": '", org_id,
                   "' is not an org id (2 to 32 characters of a-z, 0-9 and '-', not "
                   "starting or ending with '-')"));
}

bool IsValidLocalId(absl::string_view local_id) {
  if (local_id.empty() || local_id.size() > kMaxLocalIdBytes) return false;
  if (!IsLowerAlnum(local_id.front())) return false;
  for (char c : local_id) {
    if (!IsLowerAlnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

absl::Status LocalIdError(absl::string_view field, absl::string_view local_id) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": local id '", local_id, "' must be 1 to ", kMaxLocalIdBytes,
                   " characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"));
}

absl::StatusOr<MaterialId> ParseMaterialId(absl::string_view id, absl::string_view field) {
  const size_t slash = id.find('/');
  if (slash == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", id, "' is not a material id (expected <origin>/<local id>)"));
  }
  MaterialId parsed{std::string(id.substr(0, slash)), std::string(id.substr(slash + 1))};
  if (!IsValidOrgId(parsed.origin)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": origin '", parsed.origin,
                     "' is not an org id (2 to 32 characters of a-z, 0-9, '-')"));
  }
  if (!IsValidLocalId(parsed.local)) return LocalIdError(field, parsed.local);
  return parsed;
}

absl::string_view OriginOf(absl::string_view material_id) {
  const size_t slash = material_id.find('/');
  return slash == absl::string_view::npos ? absl::string_view() : material_id.substr(0, slash);
}

std::string SlugFromText(absl::string_view text) {
  if (!IsValidUtf8(text)) return "";
  const std::string folded = FoldText(text);
  std::string slug;
  bool pending_dash = false;
  for (char c : folded) {
    if (IsLowerAlnum(c)) {
      if (pending_dash && !slug.empty()) slug.push_back('-');
      pending_dash = false;
      slug.push_back(c);
      if (slug.size() >= 64) break;
    } else {
      pending_dash = true;
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug;
}

}  // namespace minga
