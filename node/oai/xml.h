// XmlOut: writes well-formed XML text, escaping every value, for the
// OAI-PMH provider. It checks nothing about nesting beyond what its
// callers do; it never fails.
//
// Thread safety: one writer per thread.
#ifndef MINGA_NODE_OAI_XML_H_
#define MINGA_NODE_OAI_XML_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace minga::oai {

// `s` as XML character data or a double-quoted attribute value: markup
// characters and '"' escaped,
// and the control characters XML 1.0 forbids dropped.
std::string XmlEscape(absl::string_view s);

using XmlAttrs = std::vector<std::pair<std::string, std::string>>;

class XmlOut {
 public:
  void Open(absl::string_view name, const XmlAttrs& attrs = {});
  void Close(absl::string_view name);
  // <name attrs>text</name>
  void Leaf(absl::string_view name, absl::string_view text, const XmlAttrs& attrs = {});
  // <name attrs/>
  void Empty(absl::string_view name, const XmlAttrs& attrs = {});
  // Text that is already XML.
  void Raw(absl::string_view xml) { out_.append(xml.data(), xml.size()); }
  std::string Take() { return std::move(out_); }

 private:
  void Start(absl::string_view name, const XmlAttrs& attrs);
  std::string out_;
};

}  // namespace minga::oai

#endif  // MINGA_NODE_OAI_XML_H_
