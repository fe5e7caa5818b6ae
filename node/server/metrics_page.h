// The text a scrape of /metrics returns: the node's state in the
// Prometheus text format, read when asked (counts come from the catalog's
// tally, so a scrape costs the same at a million materials as at ten).
//
// Families (all prefixed minga_): materials per origin and state, files
// and chunks, store bytes and the storage engine's figures, feed head,
// search index position, lag, documents and latency, per peer state, lag,
// revisions, batches, failures by code and file transfer, chunks served to
// partners; and the standard process_*
// families (memory, threads, CPU, open files).
//
// Thread safety: any thread; the sources are borrowed and thread-safe.
#ifndef MINGA_NODE_SERVER_METRICS_PAGE_H_
#define MINGA_NODE_SERVER_METRICS_PAGE_H_

#include <string>

#include "node/catalog/catalog.h"
#include "node/search/search_view.h"
#include "node/service/federation_service.h"
#include "node/sync/sync_engine.h"

namespace minga {

struct MetricsSources {
  Catalog* catalog = nullptr;
  search::SearchView* search = nullptr;
  SyncEngine* sync = nullptr;
  FederationService* federation = nullptr;
};

std::string RenderMetrics(const MetricsSources& sources);

}  // namespace minga

#endif  // MINGA_NODE_SERVER_METRICS_PAGE_H_
