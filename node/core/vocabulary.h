// The catalog's controlled vocabularies: the Essential Services Package
// sectors, material kinds, populations, countries and language tag shape.
// Pure and thread-safe.
#ifndef MINGA_NODE_CORE_VOCABULARY_H_
#define MINGA_NODE_CORE_VOCABULARY_H_

#include <span>

#include "absl/strings/string_view.h"

namespace minga {

std::span<const absl::string_view> Kinds();
std::span<const absl::string_view> Sectors();
std::span<const absl::string_view> Populations();

bool IsKind(absl::string_view v);
bool IsSector(absl::string_view v);
bool IsPopulation(absl::string_view v);
// ISO 3166-1 alpha-2 (upper case), "LAC" or "global".
bool IsCountry(absl::string_view v);
// BCP-47 shape: a 2-3 letter (or 5-8 letter) language subtag, then subtags of
// 1 to 8 letters or digits separated by '-'. Not checked against the IANA
// registry, so "qu" and "gn" pass like "es-419" and "pt-BR".
bool IsLanguageTag(absl::string_view v);

// "a, b, c" for error messages.
std::string JoinVocabulary(std::span<const absl::string_view> values);

}  // namespace minga

#endif  // MINGA_NODE_CORE_VOCABULARY_H_
