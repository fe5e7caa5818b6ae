// Validation and normalisation of materials.
//
// Errors are INVALID_ARGUMENT with a message "<field>: <reason>", where the
// field is the path inside the Material ("sectors[2]", "files[0].name"), so a
// client can point at the exact value. Pure functions, thread-safe.
#ifndef MINGA_NODE_CORE_VALIDATE_H_
#define MINGA_NODE_CORE_VALIDATE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "minga/v1/material.pb.h"

namespace minga {

enum class Strictness {
  // A material written at this node: every vocabulary value must be known.
  kLocal,
  // A body received from a peer: structure and limits are checked, but a
  // vocabulary value this node does not know (added by a newer node) is
  // accepted so the federation can grow its vocabularies.
  kPeer,
};

// Tidies a material a client sent: trims strings, folds the case of
// vocabulary values ("Health" -> "health", "gt" -> "GT"), turns topics into
// kebab-case, drops duplicates and empty list entries, and fills `languages`
// from title_language and other_language_titles when empty. Never fails;
// what it cannot fix, ValidateMaterial reports.
void NormalizeMaterial(v1::Material* material);

// Checks every field against its rule and limit. OK means the material may
// be signed (kLocal) or stored (kPeer). `id` may be empty (the node assigns
// one), a local id, or a full "<origin>/<local id>".
absl::Status ValidateMaterial(const v1::Material& material, Strictness strictness);

// The one normal form of a BCP-47 tag ("PT_br" -> "pt-BR") and of a
// country ("gt" -> "GT", "lac" -> "LAC"), for materials and for the
// filters that must meet them.
std::string NormalizeLanguage(absl::string_view tag);
std::string NormalizeCountry(absl::string_view country);

// Checks one file entry (name, media type, size, hashes, chunk count).
absl::Status ValidateFileInfo(const v1::FileInfo& file, absl::string_view field);

}  // namespace minga

#endif  // MINGA_NODE_CORE_VALIDATE_H_
