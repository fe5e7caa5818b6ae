// The JSON reader and writer of the client's import and export files.
//
// Parsing is nlohmann/json's (RFC 8259, UTF-8 checked, no depth recursion);
// this file builds a small tree from its SAX events and keeps the line of
// every value, so an import error can say "line 214: year: expected a number
// or null". Duplicate member names are an error. A document of one line (a
// JSON Lines record) is parsed by simdjson first, which costs less; on
// anything it or the tree refuses, nlohmann's parse decides, so values and
// errors are the same either way. Thread-safe (each thread keeps its own
// simdjson parser).
#ifndef MINGA_CLIENT_FORMATS_JSON_H_
#define MINGA_CLIENT_FORMATS_JSON_H_

#include <cstdint>
#include <functional>
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
// Parse's two paths, for tests that compare them: simdjson's for one line
// (nullopt where it defers to nlohmann's: text of more lines or over 1 MiB,
// or anything simdjson or the tree refuses), and nlohmann's.
std::optional<Value> ParseOneLine(absl::string_view text);
absl::StatusOr<Value> ParseWithNlohmann(absl::string_view text);

// Reads a top-level JSON array, handing each element to `element` as soon
// as it is complete, so a file cut short still yields the records before the
// cut. Returns OK at the closing ']', or the error that stopped the reading
// ("line N: <reason> (in record K)"): a syntax error or a cut makes what
// follows unreadable.
absl::Status ReadArray(absl::string_view text, const std::function<void(Value)>& element);

// Appends `s` as a JSON string literal (quoted, escaped).
void AppendString(absl::string_view s, std::string* out);

}  // namespace minga::json

#endif  // MINGA_CLIENT_FORMATS_JSON_H_
