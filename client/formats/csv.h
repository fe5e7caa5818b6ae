// A CSV reader and writer (RFC 4180) for spreadsheet imports and exports.
//
// Fields are separated by ',' or, as spreadsheets in Spanish and Portuguese
// locales save them, by ';' (detected from the header line). Quoted fields
// may hold separators, doubled quotes and line breaks; each record keeps the
// line it starts on. A UTF-8 byte-order mark is skipped. Single-threaded.
#ifndef MINGA_CLIENT_FORMATS_CSV_H_
#define MINGA_CLIENT_FORMATS_CSV_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minga::csv {

struct Record {
  int line = 0;  // 1-based line where the record starts
  std::vector<std::string> fields;
};

class Reader {
 public:
  explicit Reader(absl::string_view text);
  // The next record (blank lines are skipped); std::nullopt at the end.
  // A quoted field left open at the end of the file is an error naming its
  // line; the reader is done after it.
  absl::StatusOr<std::optional<Record>> Next();
  char delimiter() const { return delimiter_; }

 private:
  absl::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  char delimiter_ = ',';
  bool failed_ = false;
};

// Appends one field, quoted when it holds the delimiter, a quote or a line
// break.
void AppendField(absl::string_view field, char delimiter, std::string* out);

}  // namespace minga::csv

#endif  // MINGA_CLIENT_FORMATS_CSV_H_
