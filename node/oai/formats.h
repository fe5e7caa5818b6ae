// The metadata formats the OAI-PMH provider disseminates: Dublin Core
// (oai_dc, which every provider must offer) and "minga", which carries
// every field of a material (docs/oai.md), with its XML schema.
//
// Thread safety: pure functions.
#ifndef MINGA_NODE_OAI_FORMATS_H_
#define MINGA_NODE_OAI_FORMATS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "minga/v1/catalog.pb.h"
#include "node/oai/xml.h"

namespace minga::oai {

inline constexpr absl::string_view kOaiDcPrefix = "oai_dc";
inline constexpr absl::string_view kOaiDcNamespace = "http://www.openarchives.org/OAI/2.0/oai_dc/";
inline constexpr absl::string_view kOaiDcSchema = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd";
inline constexpr absl::string_view kMingaPrefix = "minga";
inline constexpr absl::string_view kMingaNamespace = "urn:minga:material:1";
// Where the node serves the minga schema, below its /oai base URL.
inline constexpr absl::string_view kMingaSchemaPath = "/minga-material.xsd";

// The material of `view` as an oai_dc:dc element.
void WriteOaiDc(const v1::MaterialView& view, XmlOut* out);
// The material of `view` as a minga material element; `schema_url` is
// where harvesters find the schema (the base URL + kMingaSchemaPath).
void WriteMinga(const v1::MaterialView& view, absl::string_view schema_url, XmlOut* out);
// The XML schema of the minga format.
absl::string_view MingaSchema();

}  // namespace minga::oai

#endif  // MINGA_NODE_OAI_FORMATS_H_
