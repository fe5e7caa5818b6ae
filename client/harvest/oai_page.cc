#include "client/harvest/oai_page.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace minga::harvest {
namespace {

constexpr char kOai[] = "http://www.openarchives.org/OAI/2.0/";
constexpr char kOaiDc[] = "http://www.openarchives.org/OAI/2.0/oai_dc/";
constexpr char kDc[] = "http://purl.org/dc/elements/1.1/";

// xmlFree is a variable (a function pointer), so it cannot be a deleter type.
struct XmlFree {
  void operator()(xmlChar* p) const { xmlFree(p); }
};
using XmlString = std::unique_ptr<xmlChar, XmlFree>;

bool Is(const xmlNode* n, const char* ns, const char* name) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr &&
         xmlStrEqual(n->ns->href, BAD_CAST ns) && xmlStrEqual(n->name, BAD_CAST name);
}

std::string Text(const xmlNode* n) {
  XmlString text(xmlNodeGetContent(n));
  if (text == nullptr) return "";
  return std::string(absl::StripAsciiWhitespace(reinterpret_cast<const char*>(text.get())));
}

std::string Attr(const xmlNode* n, const char* name) {
  XmlString v(xmlGetProp(n, BAD_CAST name));
  return v == nullptr ? "" : reinterpret_cast<const char*>(v.get());
}

const xmlNode* Child(const xmlNode* n, const char* ns, const char* name) {
  for (const xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (Is(c, ns, name)) return c;
  }
  return nullptr;
}

absl::StatusOr<OaiRecord> ParseRecord(const xmlNode* rec) {
  OaiRecord r;
  const xmlNode* header = Is(rec, kOai, "header") ? rec : Child(rec, kOai, "header");
  if (header == nullptr) return absl::InvalidArgumentError("a record without a header");
  r.deleted = Attr(header, "status") == "deleted";
  for (const xmlNode* c = header->children; c != nullptr; c = c->next) {
    if (Is(c, kOai, "identifier")) r.identifier = Text(c);
    if (Is(c, kOai, "datestamp")) r.datestamp = Text(c);
    if (Is(c, kOai, "setSpec")) r.sets.push_back(Text(c));
  }
  if (r.identifier.empty()) return absl::InvalidArgumentError("a record without an identifier");
  const xmlNode* metadata = Child(rec, kOai, "metadata");
  const xmlNode* dc = metadata == nullptr ? nullptr : Child(metadata, kOaiDc, "dc");
  if (dc == nullptr) return r;
  for (const xmlNode* c = dc->children; c != nullptr; c = c->next) {
    if (c->type != XML_ELEMENT_NODE || c->ns == nullptr ||
        !xmlStrEqual(c->ns->href, BAD_CAST kDc)) {
      continue;
    }
    XmlString lang(xmlNodeGetLang(c));
    DcValue v{reinterpret_cast<const char*>(c->name),
              lang == nullptr ? "" : reinterpret_cast<const char*>(lang.get()), Text(c)};
    if (!v.value.empty()) r.dc.push_back(std::move(v));
  }
  return r;
}

}  // namespace

std::vector<const DcValue*> OaiRecord::All(absl::string_view element) const {
  std::vector<const DcValue*> out;
  for (const DcValue& v : dc) {
    if (v.element == element) out.push_back(&v);
  }
  return out;
}

absl::StatusOr<OaiPage> ParseOaiPage(absl::string_view xml) {
  // No network, no entity expansion, no DTD loading: the response alone.
  std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "response.xml", nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      xmlFreeDoc);
  if (doc == nullptr) {
    const xmlError* e = xmlGetLastError();
    return absl::InvalidArgumentError(absl::StrCat(
        "the response is not XML",
        e != nullptr && e->message != nullptr
            ? absl::StrCat(" (line ", e->line, ": ", absl::StripAsciiWhitespace(e->message), ")")
            : ""));
  }
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!Is(root, kOai, "OAI-PMH")) {
    return absl::InvalidArgumentError("the response is not an OAI-PMH document (root element)");
  }
  OaiPage page;
  for (const xmlNode* c = root->children; c != nullptr; c = c->next) {
    if (Is(c, kOai, "responseDate")) page.response_date = Text(c);
    if (Is(c, kOai, "error") && page.error_code.empty()) {
      page.error_code = Attr(c, "code");
      page.error_message = Text(c);
    }
    if (!Is(c, kOai, "ListRecords") && !Is(c, kOai, "GetRecord") &&
        !Is(c, kOai, "ListIdentifiers")) {
      continue;
    }
    for (const xmlNode* r = c->children; r != nullptr; r = r->next) {
      if (Is(r, kOai, "record") || Is(r, kOai, "header")) {
        absl::StatusOr<OaiRecord> record = ParseRecord(r);
        if (!record.ok()) return record.status();
        page.records.push_back(*std::move(record));
      } else if (Is(r, kOai, "resumptionToken")) {
        page.resumption_token = Text(r);
      }
    }
  }
  return page;
}

}  // namespace minga::harvest
