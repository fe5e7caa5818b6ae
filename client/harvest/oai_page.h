// One OAI-PMH response, as a harvester reads it: the records of a
// ListRecords page in Dublin Core (oai_dc), the resumption token, the
// response date, or the protocol error the repository answered with.
//
// Parsing uses libxml2 with the network and entity expansion off: a
// response can make the parser read nothing but itself.
//
// Thread safety: pure functions.
#ifndef MINGA_CLIENT_HARVEST_OAI_PAGE_H_
#define MINGA_CLIENT_HARVEST_OAI_PAGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minga::harvest {

// One Dublin Core element of a record: "title", "subject", ...
struct DcValue {
  std::string element;
  std::string lang;  // xml:lang, or empty
  std::string value;
};

struct OaiRecord {
  std::string identifier;
  std::string datestamp;
  bool deleted = false;
  std::vector<std::string> sets;
  std::vector<DcValue> dc;  // empty for a deleted record

  // The values of one element, in order.
  std::vector<const DcValue*> All(absl::string_view element) const;
};

struct OaiPage {
  std::string response_date;
  std::vector<OaiRecord> records;
  std::string resumption_token;  // empty on the last page
  // The repository's error, if it answered with one (code, message).
  std::string error_code;
  std::string error_message;
};

// INVALID_ARGUMENT when `xml` is not an OAI-PMH response (naming what is
// wrong: not XML, another root, a record without an identifier).
absl::StatusOr<OaiPage> ParseOaiPage(absl::string_view xml);

}  // namespace minga::harvest

#endif  // MINGA_CLIENT_HARVEST_OAI_PAGE_H_
