#include "node/oai/xml.h"

#include "absl/strings/str_cat.h"

namespace minga::oai {

std::string XmlEscape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    switch (ch) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 allows no control character but tab, newline and return.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') break;
        out.push_back(ch);
    }
  }
  return out;
}

void XmlOut::Start(absl::string_view name, const XmlAttrs& attrs) {
  absl::StrAppend(&out_, "<", name);
  for (const auto& [key, value] : attrs)
    absl::StrAppend(&out_, " ", key, "=\"", XmlEscape(value), "\"");
}

void XmlOut::Open(absl::string_view name, const XmlAttrs& attrs) {
  Start(name, attrs);
  out_ += ">";
}

void XmlOut::Close(absl::string_view name) { absl::StrAppend(&out_, "</", name, ">\n"); }

void XmlOut::Leaf(absl::string_view name, absl::string_view text, const XmlAttrs& attrs) {
  Start(name, attrs);
  absl::StrAppend(&out_, ">", XmlEscape(text), "</", name, ">\n");
}

void XmlOut::Empty(absl::string_view name, const XmlAttrs& attrs) {
  Start(name, attrs);
  out_ += "/>\n";
}

}  // namespace minga::oai
