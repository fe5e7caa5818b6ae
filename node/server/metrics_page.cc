#include "node/server/metrics_page.h"

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/catalog/tally.h"

namespace minga {
namespace {

void StoreFamilies(Catalog& catalog, MetricsText* out) {
  const v1::storage::Tally tally = catalog.Counts();
  out->Family("minga_materials", "gauge",
              "Materials held, per origin and state: with their content (held), header only "
              "(outside this node's audience or subscription), or retracted.");
  for (const auto& [origin, count] : OriginsInOrder(tally)) {
    out->Sample("minga_materials", {{"origin", origin}, {"state", "held"}}, count.materials());
    out->Sample("minga_materials", {{"origin", origin}, {"state", "header_only"}},
                count.headers_only());
    out->Sample("minga_materials", {{"origin", origin}, {"state", "retracted"}}, count.retracted());
  }
  out->Family("minga_files", "gauge", "Files of held materials, complete or missing chunks.");
  out->Sample("minga_files", {{"state", "complete"}}, tally.files_complete());
  out->Sample("minga_files", {{"state", "missing"}}, tally.files_missing());
  out->Gauge("minga_chunks_stored", "File chunks stored here.", tally.chunks_stored());
  out->Gauge("minga_chunk_bytes", "Bytes of the file chunks stored here.", tally.chunk_bytes());
  out->Gauge("minga_chunks_missing", "Chunks listed by held materials and not stored here yet.",
             tally.chunks_missing());
  out->Gauge("minga_feed_head", "This node's newest local sequence number.", catalog.head_lseq());
  out->Gauge("minga_store_bytes", "Bytes the store takes on disk.",
             catalog.kv()->ApproximateDiskBytes());
  out->Gauge("minga_store_damaged", "1 when a checksum of the store failed (see minga status).",
             catalog.kv()->damage().empty() ? 0 : 1);
  out->Family("minga_interlock_held", "gauge",
              "Bodies of an origin's materials whose purge the mass-delete interlock holds "
              "(released with minga release ORIGIN).");
  if (absl::StatusOr<std::vector<InterlockHoldInfo>> holds = catalog.interlock().Holds();
      holds.ok()) {
    for (const InterlockHoldInfo& h : *holds) {
      out->Sample("minga_interlock_held", {{"origin", h.origin}}, h.held);
    }
  }
  for (const auto& [name, value] : catalog.kv()->EngineStats()) {
    out->Gauge(absl::StrCat("minga_store_engine_", name),
               "A figure of the storage engine (RocksDB), as it reports it.", value);
  }
}

void SearchFamilies(const search::SearchView& search, uint64_t head, MetricsText* out) {
  const uint64_t position = search.position();
  out->Gauge("minga_index_position", "Feed position the search index has committed.", position);
  out->Gauge("minga_index_lag", "Changes the search index is behind the feed.",
             head > position ? head - position : 0);
  out->Gauge("minga_index_documents", "Materials in the search index.", search.documents());
  out->Gauge("minga_index_failing", "1 while the indexer's last attempt failed.",
             search.last_error().empty() ? 0 : 1);
  search.latency().Write("minga_search_seconds", "How long searches took.", out);
}

void PeerFamilies(const SyncEngine& sync, MetricsText* out) {
  const std::vector<v1::PeerStatus> peers = sync.Peers();
  out->Family("minga_peer_state", "gauge",
              "1 for the state each peer's puller is in (connecting, pulling, following, "
              "backoff, stopped).");
  for (const v1::PeerStatus& p : peers) {
    for (int s = v1::PeerStatus::CONNECTING; s <= v1::PeerStatus::STOPPED; ++s) {
      const auto state = static_cast<v1::PeerStatus::State>(s);
      out->Sample("minga_peer_state",
                  {{"peer", p.org_id()},
                   {"state", absl::AsciiStrToLower(v1::PeerStatus::State_Name(state))}},
                  p.state() == state ? 1 : 0);
    }
  }
  struct Field {
    const char* name;
    const char* type;
    const char* help;
    double (*value)(const v1::PeerStatus&);
  };
  static const Field kFields[] = {
      {"minga_peer_lag_changes", "gauge", "Changes of the peer not applied here yet.",
       [](const v1::PeerStatus& p) { return double(p.lag_changes()); }},
      {"minga_peer_lag_seconds", "gauge", "Seconds since this node was caught up with the peer.",
       [](const v1::PeerStatus& p) { return p.lag_seconds(); }},
      {"minga_peer_revisions_received_total", "counter",
       "Revisions received from the peer since the node started.",
       [](const v1::PeerStatus& p) { return double(p.revisions_received()); }},
      {"minga_peer_revisions_applied_total", "counter",
       "Revisions from the peer stored since the node started.",
       [](const v1::PeerStatus& p) { return double(p.revisions_applied()); }},
      {"minga_peer_bytes_received_total", "counter",
       "Bytes of pull batches received from the peer, as they crossed the link.",
       [](const v1::PeerStatus& p) { return double(p.bytes_received()); }},
      {"minga_peer_failures", "gauge", "Consecutive failed pulls from the peer.",
       [](const v1::PeerStatus& p) { return double(p.failures()); }},
      {"minga_peer_batches_applied_total", "counter", "Pull batches from the peer applied.",
       [](const v1::PeerStatus& p) { return double(p.batches_applied()); }},
      {"minga_peer_chunks_fetched_total", "counter", "File chunks fetched from the peer.",
       [](const v1::PeerStatus& p) { return double(p.chunks_fetched()); }},
      {"minga_peer_bytes_fetched_total", "counter", "Bytes of file chunks fetched from the peer.",
       [](const v1::PeerStatus& p) { return double(p.bytes_fetched()); }},
      {"minga_peer_chunks_refused_total", "counter",
       "Chunks from the peer refused because they did not match their hash.",
       [](const v1::PeerStatus& p) { return double(p.chunks_refused()); }},
      {"minga_peer_chunks_queued", "gauge", "Chunks wanted from the peer now.",
       [](const v1::PeerStatus& p) { return double(p.chunks_queued()); }},
  };
  for (const Field& f : kFields) {
    out->Family(f.name, f.type, f.help);
    for (const v1::PeerStatus& p : peers) out->Sample(f.name, {{"peer", p.org_id()}}, f.value(p));
  }
  out->Family("minga_peer_pull_failures_total", "counter",
              "Failed pulls from the peer, by status code (a refused batch counts under the "
              "code it was refused with).");
  for (const v1::PeerStatus& p : peers) {
    const std::map<std::string, uint64_t> codes(p.failures_by_code().begin(),
                                                p.failures_by_code().end());
    for (const auto& [code, n] : codes) {
      out->Sample("minga_peer_pull_failures_total", {{"peer", p.org_id()}, {"code", code}}, n);
    }
  }
}

// From /proc/self: what Prometheus' process collector reports for any
// program, under the same names.
void ProcessFamilies(MetricsText* out) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    const std::vector<std::string> parts =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipWhitespace());
    if (parts.size() < 2) continue;
    uint64_t v = 0;
    if (!absl::SimpleAtoi(parts[1], &v)) continue;
    if (parts[0] == "VmRSS:") {
      out->Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", v * 1024.0);
    } else if (parts[0] == "VmHWM:") {
      out->Gauge("minga_process_peak_resident_memory_bytes", "Peak resident memory size in bytes.",
                 v * 1024.0);
    } else if (parts[0] == "Threads:") {
      out->Gauge("process_threads", "Threads of the process.", v);
    }
  }
  // utime and stime: fields 14 and 15 of /proc/self/stat, after the
  // command name in parentheses (which may hold spaces).
  std::ifstream stat("/proc/self/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t close = all.rfind(')');
  if (close != std::string::npos) {
    const std::vector<std::string> f = absl::StrSplit(all.substr(close + 2), ' ');
    uint64_t utime = 0, stime = 0;
    if (f.size() > 12 && absl::SimpleAtoi(f[11], &utime) && absl::SimpleAtoi(f[12], &stime)) {
      out->Counter("process_cpu_seconds_total", "User and system CPU time in seconds.",
                   static_cast<double>(utime + stime) / ::sysconf(_SC_CLK_TCK));
    }
  }
  size_t fds = 0;
  if (DIR* dir = ::opendir("/proc/self/fd"); dir != nullptr) {
    while (const dirent* e = ::readdir(dir)) fds += e->d_name[0] == '.' ? 0 : 1;
    ::closedir(dir);
  }
  out->Gauge("process_open_fds", "Open file descriptors.", fds);
}

}  // namespace

std::string RenderMetrics(const MetricsSources& sources) {
  MetricsText out;
  out.Family("minga_node_info", "gauge", "This node's org id and version; always 1.");
  out.Sample("minga_node_info", {{"org", sources.catalog->org_id()}, {"version", MINGA_VERSION}},
             1);
  StoreFamilies(*sources.catalog, &out);
  SearchFamilies(*sources.search, sources.catalog->head_lseq(), &out);
  PeerFamilies(*sources.sync, &out);
  out.Counter("minga_chunks_served_total", "File chunks sent to partners.",
              sources.federation->chunks_served());
  out.Counter("minga_chunk_bytes_served_total", "Bytes of file chunks sent to partners.",
              sources.federation->chunk_bytes_served());
  ProcessFamilies(&out);
  return out.text();
}

}  // namespace minga
