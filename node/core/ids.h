// Organisation and material identifiers.
//
// An org id is [a-z0-9-]{2,32}, not starting or ending with '-'. A material
// id is "<origin org id>/<local id>" with a local id of 1 to 96 characters of
// [a-z0-9._-] that starts with a letter or digit. All functions are pure and
// thread-safe. Errors are INVALID_ARGUMENT and name `field`.
#ifndef MINGA_NODE_CORE_IDS_H_
#define MINGA_NODE_CORE_IDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minga {

bool IsValidOrgId(absl::string_view org_id);
absl::Status CheckOrgId(absl::string_view org_id, absl::string_view field);

bool IsValidLocalId(absl::string_view local_id);
// INVALID_ARGUMENT: "<field>: local id '<id>' must be ...", the one wording
// of the rule.
absl::Status LocalIdError(absl::string_view field, absl::string_view local_id);

struct MaterialId {
  std::string origin;
  std::string local;
  std::string full() const { return origin + "/" + local; }
};

// Parses and checks a full material id.
absl::StatusOr<MaterialId> ParseMaterialId(absl::string_view id, absl::string_view field);

// The origin prefix of a material id, or "" when it has no '/'.
absl::string_view OriginOf(absl::string_view material_id);

// Makes a local id from free text (a title, say): lower case, accents
// dropped, runs of other characters turned into '-', at most 64 bytes.
// Returns "" when nothing usable is left.
std::string SlugFromText(absl::string_view text);

}  // namespace minga

#endif  // MINGA_NODE_CORE_IDS_H_
