#include "client/formats/json.h"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/core/text.h"

namespace minga::json {
namespace {

constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(absl::string_view text, size_t pos, int line)
      : text_(text), pos_(pos), line_(line) {}

  absl::StatusOr<Value> ParseValue(int depth) {
    SkipSpace();
    if (pos_ >= text_.size()) return Error("unexpected end of file (truncated?)");
    if (depth > kMaxDepth) return Error("nested too deeply");
    Value v;
    v.line = line_;
    const char c = text_[pos_];
    if (c == '{') {
      v.type = Value::Type::kObject;
      ++pos_;
      SkipSpace();
      if (Peek('}')) {
        ++pos_;
        return v;
      }
      while (true) {
        SkipSpace();
        if (!Peek('"')) return Error("expected a quoted member name");
        const int key_line = line_;
        auto key = ParseString();
        if (!key.ok()) return key.status();
        for (const auto& [k, unused] : v.object) {
          if (k == *key) {
            return absl::InvalidArgumentError(
                absl::StrCat("line ", key_line, ": member '", *key, "' appears twice"));
          }
        }
        SkipSpace();
        if (!Peek(':')) return Error("expected ':' after a member name");
        ++pos_;
        auto member = ParseValue(depth + 1);
        if (!member.ok()) return member.status();
        v.object.push_back(Member{std::move(*key), std::move(*member)});
        SkipSpace();
        if (Peek(',')) {
          ++pos_;
          continue;
        }
        if (Peek('}')) {
          ++pos_;
          return v;
        }
        return Error(pos_ >= text_.size() ? "unexpected end of file inside an object (truncated?)"
                                          : "expected ',' or '}' in an object");
      }
    }
    if (c == '[') {
      v.type = Value::Type::kArray;
      ++pos_;
      SkipSpace();
      if (Peek(']')) {
        ++pos_;
        return v;
      }
      while (true) {
        auto element = ParseValue(depth + 1);
        if (!element.ok()) return element.status();
        v.array.push_back(std::move(*element));
        SkipSpace();
        if (Peek(',')) {
          ++pos_;
          continue;
        }
        if (Peek(']')) {
          ++pos_;
          return v;
        }
        return Error(pos_ >= text_.size() ? "unexpected end of file inside an array (truncated?)"
                                          : "expected ',' or ']' in an array");
      }
    }
    if (c == '"') {
      v.type = Value::Type::kString;
      auto s = ParseString();
      if (!s.ok()) return s.status();
      v.string = std::move(*s);
      return v;
    }
    if (Literal("true")) {
      v.type = Value::Type::kBool;
      v.boolean = true;
      return v;
    }
    if (Literal("false")) {
      v.type = Value::Type::kBool;
      return v;
    }
    if (Literal("null")) return v;
    if (c == '-' || (c >= '0' && c <= '9')) {
      const size_t start = pos_;
      if (Peek('-')) ++pos_;
      while (pos_ < text_.size() && std::string_view("0123456789.eE+-").find(text_[pos_]) !=
                                        std::string_view::npos) {
        ++pos_;
      }
      const std::string num(text_.substr(start, pos_ - start));
      char* end = nullptr;
      v.number = std::strtod(num.c_str(), &end);
      if (end != num.c_str() + num.size() || !std::isfinite(v.number)) {
        return Error(absl::StrCat("'", num, "' is not a number"));
      }
      v.type = Value::Type::kNumber;
      return v;
    }
    return Error(absl::StrFormat("unexpected character '%c'", c));
  }

  size_t pos() const { return pos_; }
  int line() const { return line_; }
  void SkipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        return;
      }
      ++pos_;
    }
  }
  bool Peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  void Advance() { ++pos_; }
  absl::Status Error(absl::string_view reason) const {
    if (pos_ >= text_.size() && !absl::StrContains(reason, "truncated")) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", line_, ": ", reason, ", but the file ends here (truncated?)"));
    }
    return absl::InvalidArgumentError(absl::StrCat("line ", line_, ": ", reason));
  }

 private:
  bool Literal(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  absl::StatusOr<uint32_t> Hex4() {
    if (pos_ + 4 > text_.size()) return Error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = Hex(text_[pos_ + i]);
      if (h < 0) return Error("bad \\u escape");
      v = v * 16 + h;
    }
    pos_ += 4;
    return v;
  }

  absl::StatusOr<std::string> ParseString() {
    const int start_line = line_;
    ++pos_;  // opening quote
    std::string out;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        size_t bad = 0;
        if (!IsValidUtf8(out, &bad)) {
          return absl::InvalidArgumentError(absl::StrFormat(
              "line %d: string is not valid UTF-8 (byte 0x%02X)", start_line,
              static_cast<uint8_t>(out[bad])));
        }
        return out;
      }
      if (static_cast<uint8_t>(c) < 0x20) {
        if (c == '\n') break;  // reported as unterminated below
        return Error("control character inside a string");
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      ++pos_;
      if (pos_ >= text_.size()) break;
      const char e = text_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          auto cp = Hex4();
          if (!cp.ok()) return cp.status();
          uint32_t code = *cp;
          if (code >= 0xD800 && code <= 0xDBFF) {
            if (text_.substr(pos_, 2) != "\\u") return Error("lone surrogate in \\u escape");
            pos_ += 2;
            auto low = Hex4();
            if (!low.ok()) return low.status();
            if (*low < 0xDC00 || *low > 0xDFFF) return Error("bad surrogate pair");
            code = 0x10000 + ((code - 0xD800) << 10) + (*low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return Error("lone surrogate in \\u escape");
          }
          AppendUtf8(code, &out);
          break;
        }
        default:
          return Error(absl::StrFormat("bad escape '\\%c'", e));
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("line ", start_line, ": string not closed (file truncated?)"));
  }

  absl::string_view text_;
  size_t pos_;
  int line_;
};

}  // namespace

const char* Value::TypeName() const {
  switch (type) {
    case Type::kNull: return "null";
    case Type::kBool: return "a boolean";
    case Type::kNumber: return "a number";
    case Type::kString: return "a string";
    case Type::kArray: return "an array";
    case Type::kObject: return "an object";
  }
  return "?";
}

absl::StatusOr<Value> Parse(absl::string_view text) {
  Parser p(text, 0, 1);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") p.Advance(), p.Advance(), p.Advance();
  auto v = p.ParseValue(0);
  if (!v.ok()) return v.status();
  p.SkipSpace();
  if (p.pos() != text.size()) return p.Error("unexpected text after the JSON value");
  return v;
}

absl::StatusOr<std::optional<Value>> ArrayReader::Next() {
  if (!error_.ok()) return error_;
  if (done_) return std::optional<Value>();
  Parser p(text_, pos_, line_);
  auto fail = [&](absl::Status s) {
    error_ = s;
    return s;
  };
  if (!started_) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") p.Advance(), p.Advance(), p.Advance();
    p.SkipSpace();
    if (!p.Peek('[')) return fail(p.Error("expected a JSON array of materials ('[')"));
    p.Advance();
    started_ = true;
    p.SkipSpace();
    if (p.Peek(']')) {
      done_ = true;
      return std::optional<Value>();
    }
  } else {
    p.SkipSpace();
    if (p.Peek(']')) {
      done_ = true;
      return std::optional<Value>();
    }
    if (!p.Peek(',')) {
      return fail(p.pos() >= text_.size()
                      ? p.Error("file ends before the closing ']' (truncated?)")
                      : p.Error("expected ',' or ']' between records"));
    }
    p.Advance();
  }
  ++count_;
  auto v = p.ParseValue(1);
  if (!v.ok()) {
    return fail(absl::InvalidArgumentError(
        absl::StrCat(v.status().message(), " (in record ", count_, ")")));
  }
  pos_ = p.pos();
  line_ = p.line();
  return std::optional<Value>(std::move(*v));
}

void AppendString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
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
