#include "node/oai/formats.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/core/ids.h"

namespace minga::oai {
namespace {

XmlAttrs Lang(absl::string_view tag) {
  if (tag.empty()) return {};
  return {{"xml:lang", std::string(tag)}};
}

}  // namespace

void WriteOaiDc(const v1::MaterialView& view, XmlOut* out) {
  const v1::Material& m = view.material();
  out->Open("oai_dc:dc",
            {{"xmlns:oai_dc", std::string(kOaiDcNamespace)},
             {"xmlns:dc", "http://purl.org/dc/elements/1.1/"},
             {"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"},
             {"xsi:schemaLocation", absl::StrCat(kOaiDcNamespace, " ", kOaiDcSchema)}});
  out->Leaf("dc:title", m.title(), Lang(m.title_language()));
  for (const auto& [lang, title] : m.other_language_titles())
    out->Leaf("dc:title", title, Lang(lang));
  for (const std::string& p : m.publisher()) out->Leaf("dc:publisher", p);
  if (!m.summary().empty()) out->Leaf("dc:description", m.summary());
  out->Leaf("dc:type", m.kind());
  for (const std::string& s : m.sectors()) out->Leaf("dc:subject", s);
  for (const std::string& p : m.populations()) out->Leaf("dc:subject", p);
  for (const std::string& t : m.topics()) out->Leaf("dc:subject", t);
  if (m.year() != 0) out->Leaf("dc:date", absl::StrCat(m.year()));
  for (const std::string& l : m.languages()) out->Leaf("dc:language", l);
  for (const std::string& c : m.countries()) out->Leaf("dc:coverage", c);
  if (!m.license().empty()) out->Leaf("dc:rights", m.license());
  if (!m.url().empty()) out->Leaf("dc:identifier", m.url());
  for (const v1::FileInfo& f : m.files()) {
    if (!f.media_type().empty()) out->Leaf("dc:format", f.media_type());
  }
  out->Close("oai_dc:dc");
}

void WriteMinga(const v1::MaterialView& view, absl::string_view schema_url, XmlOut* out) {
  const v1::Material& m = view.material();
  out->Open("material", {{"xmlns", std::string(kMingaNamespace)},
                         {"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"},
                         {"xsi:schemaLocation", absl::StrCat(kMingaNamespace, " ", schema_url)}});
  out->Leaf("id", view.id());
  out->Leaf("origin", OriginOf(view.id()));
  out->Leaf("version", absl::StrCat(view.header().version()));
  XmlAttrs title_lang;
  if (!m.title_language().empty()) title_lang = {{"lang", m.title_language()}};
  out->Leaf("title", m.title(), title_lang);
  for (const auto& [lang, title] : m.other_language_titles()) {
    out->Leaf("otherTitle", title, {{"lang", lang}});
  }
  if (!m.summary().empty()) out->Leaf("summary", m.summary());
  for (const std::string& l : m.languages()) out->Leaf("language", l);
  out->Leaf("kind", m.kind());
  for (const std::string& s : m.sectors()) out->Leaf("sector", s);
  for (const std::string& p : m.populations()) out->Leaf("population", p);
  for (const std::string& c : m.countries()) out->Leaf("country", c);
  for (const std::string& t : m.topics()) out->Leaf("topic", t);
  for (const std::string& p : m.publisher()) out->Leaf("publisher", p);
  if (m.year() != 0) out->Leaf("year", absl::StrCat(m.year()));
  if (!m.license().empty()) out->Leaf("license", m.license());
  if (!m.url().empty()) out->Leaf("url", m.url());
  if (!m.source().empty()) out->Leaf("source", m.source());
  for (const v1::FileInfo& f : m.files()) {
    XmlAttrs attrs = {{"name", f.name()}, {"size", absl::StrCat(f.size())}};
    if (!f.media_type().empty()) attrs.emplace_back("mediaType", f.media_type());
    if (!f.sha256().empty()) attrs.emplace_back("sha256", absl::BytesToHexString(f.sha256()));
    out->Empty("file", attrs);
  }
  out->Close("material");
}

absl::string_view MingaSchema() {
  // Kept in step with WriteMinga and with material.proto's field rules.
  static constexpr absl::string_view kSchema = R"(<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns="urn:minga:material:1"
           targetNamespace="urn:minga:material:1"
           elementFormDefault="qualified" attributeFormDefault="unqualified">
  <xs:annotation>
    <xs:documentation>A Minga catalog material: every field a node keeps
      (proto/minga/v1/material.proto), as its OAI-PMH provider
      disseminates it under the metadata prefix "minga".</xs:documentation>
  </xs:annotation>
  <xs:complexType name="textWithLanguage">
    <xs:simpleContent>
      <xs:extension base="xs:string">
        <xs:attribute name="lang" type="xs:language" use="optional"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:element name="material">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="id" type="xs:string"/>
        <xs:element name="origin" type="xs:string"/>
        <xs:element name="version" type="xs:unsignedLong"/>
        <xs:element name="title" type="textWithLanguage"/>
        <xs:element name="otherTitle" type="textWithLanguage" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="summary" type="xs:string" minOccurs="0"/>
        <xs:element name="language" type="xs:language" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="kind" type="xs:string"/>
        <xs:element name="sector" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="population" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="country" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="topic" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="publisher" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="year" type="xs:unsignedInt" minOccurs="0"/>
        <xs:element name="license" type="xs:string" minOccurs="0"/>
        <xs:element name="url" type="xs:anyURI" minOccurs="0"/>
        <xs:element name="source" type="xs:string" minOccurs="0"/>
        <xs:element name="file" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:attribute name="name" type="xs:string" use="required"/>
            <xs:attribute name="size" type="xs:unsignedLong" use="required"/>
            <xs:attribute name="mediaType" type="xs:string" use="optional"/>
            <xs:attribute name="sha256" type="xs:hexBinary" use="optional"/>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
)";
  return kSchema;
}

}  // namespace minga::oai
