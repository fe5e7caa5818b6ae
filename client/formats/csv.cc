#include "client/formats/csv.h"

#include "absl/strings/str_cat.h"

namespace minga::csv {

Reader::Reader(absl::string_view text) : text_(text) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);
  // The header decides: more ';' than ',' outside quotes means ';'.
  int commas = 0, semicolons = 0;
  bool quoted = false;
  for (char c : text_) {
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '\n') break;
    if (!quoted && c == ',') ++commas;
    if (!quoted && c == ';') ++semicolons;
  }
  delimiter_ = semicolons > commas ? ';' : ',';
}

absl::StatusOr<std::optional<Record>> Reader::Next() {
  if (failed_) return absl::FailedPreconditionError("the reader stopped at an earlier error");
  // Skip blank lines.
  while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {
    if (text_[pos_] == '\n') ++line_;
    ++pos_;
  }
  if (pos_ >= text_.size()) return std::optional<Record>();
  Record record;
  record.line = line_;
  std::string field;
  bool quoted = false;
  bool field_started_quoted = false;
  while (true) {
    if (pos_ >= text_.size()) {
      if (quoted) {
        failed_ = true;
        return absl::InvalidArgumentError(
            absl::StrCat("line ", record.line,
                         ": a quoted field is not closed before the end of "
                         "the file (truncated?)"));
      }
      record.fields.push_back(std::move(field));
      return std::optional<Record>(std::move(record));
    }
    const char c = text_[pos_++];
    if (quoted) {
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field.push_back('"');
          ++pos_;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line_;
        field.push_back(c);
      }
      continue;
    }
    if (c == '"' && field.empty() && !field_started_quoted) {
      quoted = true;
      field_started_quoted = true;
    } else if (c == delimiter_) {
      record.fields.push_back(std::move(field));
      field.clear();
      field_started_quoted = false;
    } else if (c == '\r') {
      // CRLF line ends.
    } else if (c == '\n') {
      ++line_;
      record.fields.push_back(std::move(field));
      return std::optional<Record>(std::move(record));
    } else {
      field.push_back(c);
    }
  }
}

void AppendField(absl::string_view field, char delimiter, std::string* out) {
  const bool quote = field.find(delimiter) != absl::string_view::npos ||
                     field.find_first_of("\"\n\r") != absl::string_view::npos;
  if (!quote) {
    out->append(field.data(), field.size());
    return;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace minga::csv
