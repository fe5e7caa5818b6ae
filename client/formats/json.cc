#include "client/formats/json.h"

#include <simdjson.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"

namespace minga::json {
namespace {

// Deeper nesting than any material needs is refused, so a hostile file
// cannot make the tree (and its destructor) arbitrarily deep.
constexpr int kMaxDepth = 64;

// Walks the text for nlohmann's lexer and keeps the line of the last
// non-blank character read: the lexer reads at most one character past a
// token (a blank or a delimiter), so when a SAX event fires this is the line
// of the token that caused it.
class LineIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  LineIterator(const char* at, int* line, int* token_line)
      : at_(at), line_(line), token_line_(token_line) {}
  reference operator*() const { return *at_; }
  LineIterator& operator++() {
    const char c = *at_++;
    if (c == '\n') {
      ++*line_;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      *token_line_ = *line_;
    }
    return *this;
  }
  LineIterator operator++(int) {
    LineIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const LineIterator& o) const { return at_ == o.at_; }
  bool operator!=(const LineIterator& o) const { return at_ != o.at_; }

 private:
  const char* at_;
  int* line_;
  int* token_line_;
};

// nlohmann's reason, without its "[json.exception…] parse error at line…:"
// prefix and its "last read" echo (which can be the rest of a long file),
// in the words this project's other errors use.
std::string ReasonOf(const std::string& what) {
  absl::string_view r = what;
  if (size_t at = r.find(": "); at != absl::string_view::npos) r.remove_prefix(at + 2);
  if (size_t at = r.find("; last read"); at != absl::string_view::npos) r = r.substr(0, at);
  r = absl::StripPrefix(r, "syntax error ");
  if (size_t at = r.find(" - "); at != absl::string_view::npos) r.remove_prefix(at + 3);
  std::string reason(r);
  if (absl::StrContains(reason, "missing closing quote")) return "string not closed";
  if (absl::StrContains(reason, "ill-formed UTF-8")) return "invalid UTF-8 in a string";
  return reason;
}

// Builds Values from nlohmann's SAX events (see nlohmann::json_sax).
class TreeBuilder {
 public:
  using json = nlohmann::json;

  // top_array: the document must be an array, and each of its elements goes
  // to `element` when complete. Otherwise the one value is kept in result().
  TreeBuilder(absl::string_view text, bool top_array, const std::function<void(Value)>* element)
      : text_(text), top_array_(top_array), element_(element) {}

  absl::Status Run() {
    LineIterator first(text_.data(), &line_, &token_line_);
    LineIterator last(text_.data() + text_.size(), &line_, &token_line_);
    json::sax_parse(first, last, this);
    return error_;
  }
  Value& result() { return result_; }

  bool null() { return Scalar(Value{}); }
  bool boolean(bool b) {
    Value v;
    v.type = Value::Type::kBool;
    v.boolean = b;
    return Scalar(std::move(v));
  }
  bool number_integer(json::number_integer_t n) { return Number(static_cast<double>(n)); }
  bool number_unsigned(json::number_unsigned_t n) { return Number(static_cast<double>(n)); }
  bool number_float(json::number_float_t n, const std::string&) { return Number(n); }
  bool string(std::string& s) {
    Value v;
    v.type = Value::Type::kString;
    v.string = std::move(s);
    return Scalar(std::move(v));
  }
  bool binary(json::binary_t&) { return Fail("binary values are not JSON"); }
  bool start_object(std::size_t) { return Open(Value::Type::kObject); }
  bool start_array(std::size_t) { return Open(Value::Type::kArray); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(std::string& name) {
    for (const Member& m : stack_.back().object) {
      if (m.name == name) return Fail(absl::StrCat("member '", name, "' appears twice"));
    }
    key_ = std::move(name);
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    const size_t at = std::min(position, text_.size());
    const int line = 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + at, '\n'));
    std::string reason = ReasonOf(e.what());
    // The lexer stops at the end of the text only when the text ends early.
    if (position >= text_.size()) {
      reason = top_array_ && started_ ? "file ends before the closing ']' (truncated?)"
                                      : absl::StrCat(reason, " (truncated?)");
    }
    return Fail(reason, line);
  }

 private:
  bool Number(double n) {
    Value v;
    v.type = Value::Type::kNumber;
    v.number = n;
    return Scalar(std::move(v));
  }
  bool Scalar(Value v) {
    v.line = token_line_;
    return Place(std::move(v));
  }
  bool Open(Value::Type type) {
    if (static_cast<int>(stack_.size()) >= kMaxDepth) return Fail("nested too deeply");
    if (top_array_ && !started_) {
      if (type != Value::Type::kArray) return Fail("expected a JSON array of materials ('[')");
      started_ = true;
      return true;  // the top array itself is not kept
    }
    Value v;
    v.type = type;
    v.line = token_line_;
    stack_.push_back(std::move(v));
    keys_.push_back(std::move(key_));
    return true;
  }
  bool Close() {
    if (stack_.empty()) return true;  // the end of the top array
    Value v = std::move(stack_.back());
    stack_.pop_back();
    key_ = std::move(keys_.back());
    keys_.pop_back();
    return Place(std::move(v));
  }
  // Puts a complete value where it belongs: in its parent (under key_ if
  // that is an object), or out.
  bool Place(Value v) {
    if (stack_.empty()) {
      if (!top_array_) {
        result_ = std::move(v);
      } else if (!started_) {
        return Fail("expected a JSON array of materials ('[')");
      } else {
        ++records_;
        (*element_)(std::move(v));
      }
      return true;
    }
    Value& parent = stack_.back();
    if (parent.type == Value::Type::kArray) {
      parent.array.push_back(std::move(v));
    } else {
      parent.object.push_back(Member{std::move(key_), std::move(v)});
    }
    return true;
  }
  bool Fail(absl::string_view reason, int line = 0) {
    std::string message = absl::StrCat("line ", line ? line : token_line_, ": ", reason);
    // The record that was being read when the error came (records are
    // counted from 1).
    if (top_array_ && started_ && !stack_.empty())
      absl::StrAppend(&message, " (in record ", records_ + 1, ")");
    error_ = absl::InvalidArgumentError(message);
    return false;
  }

  const absl::string_view text_;
  const bool top_array_;
  const std::function<void(Value)>* const element_;
  int line_ = 1;
  int token_line_ = 1;
  bool started_ = false;  // top_array_: the '[' was read
  int records_ = 0;
  std::vector<Value> stack_;       // the arrays and objects being read
  std::vector<std::string> keys_;  // the member name of each in its parent
  std::string key_;                // the name of the member being read
  Value result_;
  absl::Status error_;
};

// One line of JSON Lines, the bulk import's path: simdjson's parse costs
// a fraction of nlohmann's character-by-character lexer (an import of
// 100,000 materials spends a third less CPU in the client). Whatever it
// refuses, and whatever the tree refuses (a member twice, nesting too
// deep), returns nullopt, and nlohmann's parse then gives the value or the
// error: both paths give the same values, and errors always come from one.
// Text of more than one line keeps nlohmann's parse, which knows each
// value's line.
constexpr size_t kMaxFastBytes = 1 << 20;  // the parser keeps its largest buffer

bool Convert(const simdjson::dom::element& e, int depth, Value* out) {
  out->line = 1;
  switch (e.type()) {
    case simdjson::dom::element_type::NULL_VALUE:
      return true;
    case simdjson::dom::element_type::BOOL:
      out->type = Value::Type::kBool;
      out->boolean = e.get_bool().value_unsafe();
      return true;
    case simdjson::dom::element_type::INT64:
    case simdjson::dom::element_type::UINT64:
    case simdjson::dom::element_type::DOUBLE:
      // An integer converts as nlohmann's number_integer/unsigned does.
      out->type = Value::Type::kNumber;
      out->number = e.get_double().value_unsafe();
      return true;
    case simdjson::dom::element_type::STRING:
      out->type = Value::Type::kString;
      out->string = std::string(e.get_string().value_unsafe());
      return true;
    case simdjson::dom::element_type::ARRAY: {
      if (depth >= kMaxDepth) return false;
      out->type = Value::Type::kArray;
      const simdjson::dom::array array = e.get_array().value_unsafe();
      out->array.reserve(array.size());
      for (const simdjson::dom::element item : array) {
        if (!Convert(item, depth + 1, &out->array.emplace_back())) return false;
      }
      return true;
    }
    case simdjson::dom::element_type::OBJECT: {
      if (depth >= kMaxDepth) return false;
      out->type = Value::Type::kObject;
      const simdjson::dom::object object = e.get_object().value_unsafe();
      out->object.reserve(object.size());
      for (const simdjson::dom::key_value_pair field : object) {
        for (const Member& m : out->object) {
          if (m.name == field.key) return false;  // nlohmann's parse names it
        }
        Member& m = out->object.emplace_back();
        m.name = std::string(field.key);
        if (!Convert(field.value, depth + 1, &m.value)) return false;
      }
      return true;
    }
  }
  return false;
}

}  // namespace

const char* Value::TypeName() const {
  switch (type) {
    case Type::kNull:
      return "null";
    case Type::kBool:
      return "a boolean";
    case Type::kNumber:
      return "a number";
    case Type::kString:
      return "a string";
    case Type::kArray:
      return "an array";
    case Type::kObject:
      return "an object";
  }
  return "?";
}

std::optional<Value> ParseOneLine(absl::string_view text) {
  if (text.empty() || text.size() > kMaxFastBytes || text.find('\n') != absl::string_view::npos) {
    return std::nullopt;
  }
  // One parser per thread keeps its buffers from line to line: about 15
  // times the longest line it has read, so at most about 15 MiB.
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  Value value;
  if (!Convert(root, 0, &value)) return std::nullopt;
  return value;
}

absl::StatusOr<Value> Parse(absl::string_view text) {
  if (std::optional<Value> fast = ParseOneLine(text)) return *std::move(fast);
  return ParseWithNlohmann(text);
}

absl::StatusOr<Value> ParseWithNlohmann(absl::string_view text) {
  TreeBuilder builder(text, /*top_array=*/false, nullptr);
  if (absl::Status s = builder.Run(); !s.ok()) return s;
  return std::move(builder.result());
}

absl::Status ReadArray(absl::string_view text, const std::function<void(Value)>& element) {
  return TreeBuilder(text, /*top_array=*/true, &element).Run();
}

void AppendString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (static_cast<uint8_t>(c) < 0x20) {
          *out += absl::StrFormat("\\u%04x", static_cast<int>(c));
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

}  // namespace minga::json
