#include "node/core/validate.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/status_macros.h"
#include "node/core/text.h"
#include "node/core/vocabulary.h"

namespace minga {
namespace {

using ::google::protobuf::RepeatedPtrField;

absl::Status Invalid(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

// Checks UTF-8, length in characters, and control characters.
absl::Status CheckText(absl::string_view field, absl::string_view value, size_t max_chars,
                       bool required, absl::string_view allowed_controls = "") {
  size_t bad = 0;
  if (!IsValidUtf8(value, &bad)) {
    return Invalid(field, absl::StrFormat("not valid UTF-8 (bad byte 0x%02X at offset %d)",
                                          static_cast<uint8_t>(value[bad]), bad));
  }
  if (required && value.empty()) return Invalid(field, "required");
  const size_t chars = Utf8Length(value);
  if (chars > max_chars) {
    return Invalid(field, absl::StrCat("too long: ", chars, " characters, at most ", max_chars));
  }
  if (HasControlChars(value, allowed_controls)) {
    return Invalid(field, "contains control characters");
  }
  return absl::OkStatus();
}

absl::Status CheckListSize(absl::string_view field, size_t size, size_t max) {
  if (size > max) {
    return Invalid(field, absl::StrCat("too many entries: ", size, ", at most ", max));
  }
  return absl::OkStatus();
}

std::string Item(absl::string_view field, int i) { return absl::StrCat(field, "[", i, "]"); }

// A vocabulary value received from a newer peer: short and plain.
bool IsPlainToken(absl::string_view v) {
  if (v.empty() || v.size() > 64) return false;
  return std::all_of(v.begin(), v.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

absl::Status CheckVocabulary(absl::string_view field, const RepeatedPtrField<std::string>& values,
                             bool (*known)(absl::string_view),
                             std::span<const absl::string_view> expected, Strictness strictness,
                             size_t max_items) {
  RETURN_IF_ERROR(CheckListSize(field, values.size(), max_items));
  for (int i = 0; i < values.size(); ++i) {
    const std::string& v = values[i];
    if (known(v)) continue;
    if (strictness == Strictness::kPeer && IsPlainToken(v)) continue;
    if (!IsValidUtf8(v)) return Invalid(Item(field, i), "not valid UTF-8");
    return Invalid(Item(field, i), absl::StrCat("unknown value '", v, "'; expected one of ",
                                                JoinVocabulary(expected)));
  }
  return absl::OkStatus();
}

bool IsTopic(absl::string_view v) {
  if (v.empty() || v.size() > kMaxTopicBytes) return false;
  if (v.front() == '-' || v.back() == '-') return false;
  for (size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && v[i - 1] != '-');
    if (!ok) return false;
  }
  return true;
}

// http(s)://host[:port][/path...] with a plausible host and no spaces.
absl::Status CheckUrl(absl::string_view field, absl::string_view url) {
  if (url.empty()) return absl::OkStatus();
  if (url.size() > kMaxUrlBytes) {
    return Invalid(field, absl::StrCat("too long: ", url.size(), " bytes, at most ", kMaxUrlBytes));
  }
  absl::string_view rest;
  if (absl::StartsWith(url, "https://")) {
    rest = url.substr(8);
  } else if (absl::StartsWith(url, "http://")) {
    rest = url.substr(7);
  } else {
    return Invalid(field, "must start with http:// or https://");
  }
  for (char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '"' || c == '<' || c == '>' || c == '\\') {
      return Invalid(field, "contains a space, control character or one of \" < > \\");
    }
  }
  const size_t host_end = rest.find_first_of("/?#");
  absl::string_view authority = rest.substr(0, host_end);
  if (const size_t at = authority.rfind('@'); at != absl::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  absl::string_view host = authority;
  if (const size_t colon = authority.rfind(':');
      colon != absl::string_view::npos && authority.front() != '[') {
    const absl::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) {
      return Invalid(field, "port must be a number");
    }
    host = authority.substr(0, colon);
  }
  if (host.empty()) return Invalid(field, "has no host");
  if (host.front() != '[') {  // IPv6 literals are taken as they are.
    for (char c : host) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' &&
          static_cast<unsigned char>(c) < 0x80) {
        return Invalid(field, absl::StrCat("host '", host, "' is not a host name"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateFileInfo(const v1::FileInfo& f, absl::string_view field) {
  const std::string name_field = absl::StrCat(field, ".name");
  if (f.name().empty()) return Invalid(name_field, "required");
  if (f.name().size() > kMaxFileNameBytes) {
    return Invalid(name_field, absl::StrCat("too long: ", f.name().size(), " bytes, at most ",
                                            kMaxFileNameBytes));
  }
  RETURN_IF_ERROR(CheckText(name_field, f.name(), kMaxFileNameBytes, true));
  if (f.name().find_first_of("/\\") != std::string::npos || f.name() == "." || f.name() == "..") {
    return Invalid(name_field, "must be a plain file name, without / or \\");
  }
  const std::string& mt = f.media_type();
  if (!mt.empty()) {
    const size_t slash = mt.find('/');
    const bool ok = mt.size() <= kMaxMediaTypeBytes && slash != std::string::npos && slash > 0 &&
                    slash + 1 < mt.size() && std::all_of(mt.begin(), mt.end(), [](char c) {
                      return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                             absl::string_view("/.+-_;= ").find(c) != absl::string_view::npos;
                    });
    if (!ok) {
      return Invalid(absl::StrCat(field, ".media_type"),
                     absl::StrCat("'", mt, "' is not a media type like application/pdf"));
    }
  }
  if (f.size() > kMaxFileSize) {
    return Invalid(absl::StrCat(field, ".size"),
                   absl::StrCat(f.size(), " bytes is more than the ", kMaxFileSize, " allowed"));
  }
  if (f.sha256().size() != 32) {
    return Invalid(absl::StrCat(field, ".sha256"), "must be 32 bytes");
  }
  if (f.chunk_size_size() == 0) {
    // Fixed chunks of 1 MiB (files made before content-defined chunking).
    const uint64_t chunks = (f.size() + kChunkSize - 1) / kChunkSize;
    if (static_cast<uint64_t>(f.chunk_sha256_size()) != chunks) {
      return Invalid(
          absl::StrCat(field, ".chunk_sha256"),
          absl::StrCat("has ", f.chunk_sha256_size(), " hashes; a file of ", f.size(),
                       " bytes with no chunk_size list has ", chunks, " chunks of 1 MiB"));
    }
  } else {
    if (f.chunk_size_size() != f.chunk_sha256_size()) {
      return Invalid(absl::StrCat(field, ".chunk_size"),
                     absl::StrCat("has ", f.chunk_size_size(), " sizes for ", f.chunk_sha256_size(),
                                  " chunk hashes"));
    }
    uint64_t total = 0;
    for (int i = 0; i < f.chunk_size_size(); ++i) {
      if (f.chunk_size(i) == 0 || f.chunk_size(i) > kChunkSize) {
        return Invalid(absl::StrCat(field, ".chunk_size[", i, "]"),
                       absl::StrCat(f.chunk_size(i), " is not 1 to ", kChunkSize, " bytes"));
      }
      total += f.chunk_size(i);
    }
    if (total != f.size()) {
      return Invalid(absl::StrCat(field, ".chunk_size"),
                     absl::StrCat("adds up to ", total, " bytes, not the file's ", f.size()));
    }
  }
  for (int i = 0; i < f.chunk_sha256_size(); ++i) {
    if (f.chunk_sha256(i).size() != 32) {
      return Invalid(absl::StrCat(field, ".chunk_sha256[", i, "]"), "must be 32 bytes");
    }
  }
  return absl::OkStatus();
}

namespace {

absl::Status CheckLanguageTag(const std::string& field, const std::string& tag) {
  if (IsLanguageTag(tag)) return absl::OkStatus();
  return Invalid(field, absl::StrCat("'", tag, "' is not a BCP-47 language tag like es or pt-BR"));
}

// Id, titles, summary and languages: what a reader sees first.
absl::Status CheckDescription(const v1::Material& m) {
  if (m.id().find('/') != std::string::npos) {
    RETURN_IF_ERROR(ParseMaterialId(m.id(), "id").status());
  } else if (!m.id().empty() && !IsValidLocalId(m.id())) {
    return LocalIdError("id", m.id());
  }
  RETURN_IF_ERROR(CheckText("title", m.title(), kMaxTitleChars, true));
  if (!m.title_language().empty()) {
    RETURN_IF_ERROR(CheckLanguageTag("title_language", m.title_language()));
  }
  if (m.other_language_titles_size() > static_cast<int>(kMaxOtherTitles)) {
    return Invalid("other_language_titles",
                   absl::StrCat("too many entries: ", m.other_language_titles_size(), ", at most ",
                                kMaxOtherTitles));
  }
  for (const auto& [lang, title] : m.other_language_titles()) {
    const std::string field = absl::StrCat("other_language_titles[", lang, "]");
    if (!IsLanguageTag(lang)) {
      return Invalid(field, "key is not a BCP-47 language tag");
    }
    RETURN_IF_ERROR(CheckText(field, title, kMaxTitleChars, true));
  }
  RETURN_IF_ERROR(CheckText("summary", m.summary(), kMaxSummaryChars, false, "\n\t\r"));
  RETURN_IF_ERROR(CheckListSize("languages", m.languages_size(), kMaxListItems));
  for (int i = 0; i < m.languages_size(); ++i) {
    RETURN_IF_ERROR(CheckLanguageTag(Item("languages", i), m.languages(i)));
  }
  return absl::OkStatus();
}

// Kind, sectors, populations, countries and topics: the controlled
// vocabularies, where a peer's newer value is let through as a plain token.
absl::Status CheckClassification(const v1::Material& m, Strictness strictness) {
  if (m.kind().empty()) {
    return Invalid("kind", absl::StrCat("required; one of ", JoinVocabulary(Kinds())));
  }
  if (!IsKind(m.kind()) && !(strictness == Strictness::kPeer && IsPlainToken(m.kind()))) {
    return Invalid("kind", absl::StrCat("unknown value '", m.kind(), "'; expected one of ",
                                        JoinVocabulary(Kinds())));
  }
  if (m.sectors().empty()) {
    return Invalid("sectors",
                   absl::StrCat("at least one required; one of ", JoinVocabulary(Sectors())));
  }
  RETURN_IF_ERROR(
      CheckVocabulary("sectors", m.sectors(), IsSector, Sectors(), strictness, kMaxListItems));
  RETURN_IF_ERROR(CheckVocabulary("populations", m.populations(), IsPopulation, Populations(),
                                  strictness, kMaxListItems));
  RETURN_IF_ERROR(CheckListSize("countries", m.countries_size(), kMaxCountries));
  for (int i = 0; i < m.countries_size(); ++i) {
    const std::string& c = m.countries(i);
    if (IsCountry(c)) continue;
    if (strictness == Strictness::kPeer && IsPlainToken(c)) continue;
    return Invalid(Item("countries", i),
                   absl::StrCat("'", c, "' is not an ISO 3166-1 alpha-2 code, LAC or global"));
  }
  RETURN_IF_ERROR(CheckListSize("topics", m.topics_size(), kMaxListItems));
  for (int i = 0; i < m.topics_size(); ++i) {
    if (!IsTopic(m.topics(i))) {
      return Invalid(Item("topics", i), absl::StrCat("'", m.topics(i),
                                                     "' is not a kebab-case tag of a-z, 0-9 and "
                                                     "'-', at most 64 bytes"));
    }
  }
  return absl::OkStatus();
}

// Publisher, year, license, url and source.
absl::Status CheckProvenance(const v1::Material& m) {
  RETURN_IF_ERROR(CheckListSize("publisher", m.publisher_size(), kMaxListItems));
  for (int i = 0; i < m.publisher_size(); ++i) {
    RETURN_IF_ERROR(CheckText(Item("publisher", i), m.publisher(i), kMaxShortTextChars, true));
  }
  if (m.year() != 0 && (m.year() < 1900 || m.year() > 2100)) {
    return Invalid("year", absl::StrCat(m.year(),
                                        " is not a year between 1900 and 2100 "
                                        "(leave it empty when unknown)"));
  }
  RETURN_IF_ERROR(CheckText("license", m.license(), kMaxShortTextChars, false));
  RETURN_IF_ERROR(CheckUrl("url", m.url()));
  return CheckText("source", m.source(), kMaxSourceChars, false);
}

absl::Status CheckFiles(const v1::Material& m) {
  RETURN_IF_ERROR(CheckListSize("files", m.files_size(), kMaxFilesPerMaterial));
  std::set<absl::string_view> names;
  size_t chunks = 0;
  for (int i = 0; i < m.files_size(); ++i) {
    const std::string field = Item("files", i);
    RETURN_IF_ERROR(ValidateFileInfo(m.files(i), field));
    if (!names.insert(m.files(i).name()).second) {
      return Invalid(absl::StrCat(field, ".name"),
                     absl::StrCat("'", m.files(i).name(), "' is listed twice in this material"));
    }
    chunks += m.files(i).chunk_sha256_size();
  }
  if (chunks > kMaxChunksPerMaterial) {
    return Invalid(
        "files", absl::StrCat("list ", chunks, " chunks in all, at most ", kMaxChunksPerMaterial));
  }
  return absl::OkStatus();
}

}  // namespace

// Fields are checked in the order the Material message lists them, so the
// first error a user sees is the first wrong field of the record.
absl::Status ValidateMaterial(const v1::Material& m, Strictness strictness) {
  RETURN_IF_ERROR(CheckDescription(m));
  RETURN_IF_ERROR(CheckClassification(m, strictness));
  RETURN_IF_ERROR(CheckProvenance(m));
  return CheckFiles(m);
}

}  // namespace minga
