// Materials in import and export files: JSON (an array, as in
// config/samples/materials.json), JSON Lines (one object per line), and CSV
// (a header row naming the fields).
//
// The field names are the Material's (title, title_language, summary, kind,
// sectors, ...), plus "audience": "public", "private" or
// "members:org-a,org-b". In CSV, list fields hold values separated by '|'
// (or ';' in a ','-separated file), and other_language_titles are columns
// named "title.<lang>", e.g. "title.pt". Field values are checked fully by
// the node; here each record is only read, and an unreadable one is
// reported as "line N: <field>: <reason>" without stopping the others.
#ifndef MINGA_CLIENT_FORMATS_RECORDS_H_
#define MINGA_CLIENT_FORMATS_RECORDS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/material.pb.h"
#include "minga/v1/revision.pb.h"

namespace minga {

enum class FileFormat { kJson, kJsonLines, kCsv };

// From the file name (".json", ".jsonl"/".ndjson", ".csv"), else from the
// content (a '[' first means JSON, '{' JSON Lines, anything else CSV).
FileFormat DetectFormat(absl::string_view path, absl::string_view text);
absl::StatusOr<FileFormat> ParseFormatName(absl::string_view name);

struct ImportRecord {
  int line = 0;
  v1::Material material;
  bool has_audience = false;
  v1::Audience audience;
};

struct ParsedRecord {
  int line = 0;
  absl::StatusOr<ImportRecord> record;
};

struct ParsedFile {
  std::vector<ParsedRecord> records;
  // Set when the rest of the file could not be read (a JSON syntax error, a
  // file cut short): what is in `records` is still good to import.
  absl::Status fatal;
};

ParsedFile ParseImportFile(absl::string_view text, FileFormat format);

// Reads JSON Lines one record at a time, so an import sends the first
// records while it reads the rest and never holds them all. Yields what
// ParseImportFile yields for the same text, in the same order. Not
// thread-safe; `text` is borrowed and must outlive the reader.
class JsonLinesReader {
 public:
  explicit JsonLinesReader(absl::string_view text) : rest_(text) {}
  // The next non-blank line's record; nullopt after the last.
  std::optional<ParsedRecord> Next();
  // How many records Next will yield in all (one pass over the text).
  static size_t Count(absl::string_view text);

 private:
  // The next non-blank line (line_ is its number); nullopt after the last.
  std::optional<absl::string_view> NextLine();

  absl::string_view rest_;
  int line_ = 0;
  bool done_ = false;
};

// One material from a JSON document holding a single object.
absl::StatusOr<ImportRecord> ParseMaterialJson(absl::string_view text);

// "public", "private", "members:a,b" -> Audience. INVALID_ARGUMENT otherwise.
absl::StatusOr<v1::Audience> ParseAudience(absl::string_view text);
std::string AudienceToString(const v1::Audience& audience);

// Export: one JSON object (no trailing newline) or CSV row per material.
std::string MaterialToJson(const v1::Material& m, const v1::Audience& audience);
std::string CsvHeader(const std::vector<std::string>& title_languages);
std::string MaterialToCsv(const v1::Material& m, const v1::Audience& audience,
                          const std::vector<std::string>& title_languages);

}  // namespace minga

#endif  // MINGA_CLIENT_FORMATS_RECORDS_H_
