// OaiProvider: the node's public materials over OAI-PMH 2.0
// (https://www.openarchives.org/OAI/openarchivesprotocol.html), for the
// region's repositories and aggregators to harvest. docs/oai.md says what
// it serves; in short:
//
// - all six verbs, with the protocol's error codes;
// - records are the public materials the node holds (its own and its
//   partners'); a retracted public material is a deleted record; nothing
//   whose audience is not public is ever shown, not even its identifier;
// - datestamps are when the material's current version reached this node,
//   so a harvest "from" its last run sees every change since;
// - lists follow the node's feed, so a resumption token is a feed position
//   and a list stays complete while materials change under it;
// - sets: origin:<org id>, sector:<sector>, country:<code>.
//
// Errors: the protocol's own errors are inside the returned document; a
// status is returned only when the store cannot be read.
//
// Thread safety: Handle may be called from any number of threads.
#ifndef MINGA_NODE_OAI_PROVIDER_H_
#define MINGA_NODE_OAI_PROVIDER_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "node/catalog/catalog.h"
#include "node/core/clock.h"

namespace minga::oai {

struct OaiSettings {
  std::string repository_name;
  std::string admin_email;
  // The domain-name part of "oai:<repository_identifier>:<material id>".
  std::string repository_identifier;
  // Records per ListRecords or ListIdentifiers response.
  int page_size = 100;
};

// A request's arguments in the order given; a repeated name is an error
// the provider reports.
using OaiArgs = std::vector<std::pair<std::string, std::string>>;

class OaiProvider {
 public:
  // catalog and clock: borrowed, must outlive this.
  OaiProvider(Catalog* catalog, OaiSettings settings, Clock* clock)
      : catalog_(*catalog), settings_(std::move(settings)), clock_(*clock) {}
  OaiProvider(const OaiProvider&) = delete;
  OaiProvider& operator=(const OaiProvider&) = delete;

  // The OAI-PMH response document for `args`; `base_url` is the address
  // the request reached (it appears in the response and in schema links).
  absl::StatusOr<std::string> Handle(const OaiArgs& args, absl::string_view base_url);

 private:
  Catalog& catalog_;
  const OaiSettings settings_;
  Clock& clock_;
};

}  // namespace minga::oai

#endif  // MINGA_NODE_OAI_PROVIDER_H_
