// A small JSON reader and writer for the client's import and export files.
//
// The reader keeps the line of every value, so an import error can say
// "line 214: year: expected a number or null". It reads a top-level array
// one element at a time (JsonArrayReader), so a file cut short still yields
// the records before the cut. Pure, single-threaded.
#ifndef MINGA_CLIENT_FORMATS_JSON_H_
#define MINGA_CLIENT_FORMATS_JSON_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minga::json {

struct Member;

struct Value {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  int line = 0;  // 1-based line where the value starts
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Value> array;
  // Object members in file order (duplicates are an error when parsing).
  std::vector<Member> object;

  const char* TypeName() const;
};

// A member of an object. (Not std::pair: a pair of a still incomplete Value
// is undefined; a vector of an incomplete struct is allowed.)
struct Member {
  std::string name;
  Value value;
};

// Parses one complete JSON document. Errors: "line N: <reason>".
absl::StatusOr<Value> Parse(absl::string_view text);

// Reads the elements of a top-level JSON array one by one.
class ArrayReader {
 public:
  explicit ArrayReader(absl::string_view text) : text_(text) {}
  // The next element; std::nullopt at the closing ']'. After an error the
  // reader is done (Next keeps returning it): a syntax error or a file cut
  // short makes what follows unreadable.
  absl::StatusOr<std::optional<Value>> Next();

 private:
  absl::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
  int count_ = 0;
  bool started_ = false;
  bool done_ = false;
  absl::Status error_;
};

// Appends `s` as a JSON string literal (quoted, escaped).
void AppendString(absl::string_view s, std::string* out);

}  // namespace minga::json

#endif  // MINGA_CLIENT_FORMATS_JSON_H_
