// How a harvested Dublin Core record becomes a material (docs/oai.md,
// "Harvesting"): a mapping from repository vocabularies to Minga's, read
// from a JSON file laid over a built-in default for the region's Spanish,
// Portuguese and English terms.
//
// Thread safety: pure functions over immutable values.
#ifndef MINGA_CLIENT_HARVEST_MAPPING_H_
#define MINGA_CLIENT_HARVEST_MAPPING_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/harvest/oai_page.h"
#include "minga/v1/material.pb.h"

namespace minga::harvest {

struct Mapping {
  // Lower-cased repository value -> Minga value, per target field.
  std::map<std::string, std::string> kind;        // from dc:type
  std::map<std::string, std::string> sector;      // from dc:subject
  std::map<std::string, std::string> population;  // from dc:subject
  std::map<std::string, std::string> topic;       // from dc:subject
  std::map<std::string, std::string> language;    // from dc:language, xml:lang
  std::map<std::string, std::string> country;     // from dc:coverage
  // Used when no dc:type (or dc:subject) maps; empty: such a record is
  // skipped.
  std::string default_kind;
  std::string default_sector;
};

// The built-in mapping.
const Mapping& DefaultMapping();

// `json` laid over `base`: its entries are added to (or replace) the
// base's. INVALID_ARGUMENT names the member and the reason: an unknown
// member, a value that is not a string, a target value Minga does not
// know (a kind, sector or population outside the vocabulary, a country
// that is not a code).
absl::StatusOr<Mapping> ParseMapping(absl::string_view json, const Mapping& base);

// The local id a harvested record gets: its OAI identifier without "oai:",
// lower-cased, every other character than [a-z0-9._-] made '-', and cut
// to fit 96 characters with a hash of the whole kept at its end.
std::string LocalIdFor(absl::string_view oai_identifier);

// The material for a live record, or INVALID_ARGUMENT saying why the
// record does not map (no title, no dc:type that maps to a kind, ...), or
// what the node's own validation would refuse. `source` is stored as the
// material's source.
absl::StatusOr<v1::Material> MapRecord(const OaiRecord& record, const Mapping& mapping,
                                       absl::string_view source);

}  // namespace minga::harvest

#endif  // MINGA_CLIENT_HARVEST_MAPPING_H_
