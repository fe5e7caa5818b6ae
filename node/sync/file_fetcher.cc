// FileFetcher: rounds that plan chunk calls, the calls, per-peer counts
// and limits, and retries. Over 400 lines because all of these share the
// per-peer state under one lock.
#include "node/sync/file_fetcher.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/core/audience.h"
#include "node/core/chunker.h"
#include "node/core/limits.h"
#include "node/core/log.h"
#include "node/core/threads.h"
#include "node/sync/backoff.h"

namespace minga {

FileFetcher::FileFetcher(Catalog* catalog, std::vector<FetchPeer> peers, FetcherOptions options,
                         Clock* clock)
    : catalog_(catalog),
      peers_(std::move(peers)),
      options_(options),
      clock_(clock),
      pool_(std::max(0, options.parallel_calls - 1)) {
  for (const FetchPeer& p : peers_) {
    if (p.max_bytes_per_second > 0) {
      limiters_[p.org] = std::make_unique<RateLimiter>(p.max_bytes_per_second, clock_);
    }
  }
}

FileFetcher::~FileFetcher() { Stop(); }

void FileFetcher::Start() {
  if (peers_.empty()) return;
  thread_ = std::thread([this] {
    NameThisThread("minga-fetch");
    Run();
  });
}

void FileFetcher::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // Calls in flight end now rather than at their deadline.
  for (const FetchPeer& p : peers_) p.link->CancelChunkCalls();
  if (thread_.joinable()) thread_.join();
}

const FetchPeer* FileFetcher::FindPeer(const std::string& org) const {
  for (const FetchPeer& p : peers_) {
    if (p.org == org) return &p;
  }
  return nullptr;
}

std::string FileFetcher::PolicyOf(const Entry& entry) const {
  const std::string& from = entry.stored.provenance().from_peer();
  if (from.empty()) return "own";
  const FetchPeer* peer = FindPeer(from);
  // A material from a peer no longer configured: fetch it like EAGER.
  if (peer == nullptr) return "eager";
  switch (peer->policy) {
    case v1::Subscription::ON_DEMAND:
      return "on_demand";
    case v1::Subscription::NONE:
      return "none";
    default:
      return "eager";
  }
}

double FileFetcher::RateOf(const PeerStats& s) const {
  // A rate only while chunks come: the last full window's, or the current
  // one's once it is a second long.
  const absl::Time now = Now();
  double rate = s.rate;
  if (rate == 0 && s.window_bytes > 0 && now - s.window_start >= absl::Seconds(1)) {
    rate = static_cast<double>(s.window_bytes) / absl::ToDoubleSeconds(now - s.window_start);
  }
  return now - s.last_chunk > absl::Seconds(15) ? 0 : rate;
}

uint64_t FileFetcher::BytesPerSecondFrom(const std::string& peer) const {
  absl::MutexLock lock(&mu_);
  auto it = stats_.find(peer);
  return it == stats_.end() ? 0 : static_cast<uint64_t>(RateOf(it->second));
}

void FileFetcher::AddStats(v1::PeerStatus* status) const {
  absl::MutexLock lock(&mu_);
  auto it = stats_.find(status->org_id());
  if (const FetchPeer* p = FindPeer(status->org_id())) {
    status->set_file_policy(p->policy == v1::Subscription::ON_DEMAND ? "on_demand"
                            : p->policy == v1::Subscription::NONE    ? "none"
                                                                     : "eager");
  }
  if (auto limit = limiters_.find(status->org_id()); limit != limiters_.end()) {
    status->set_file_limit_bytes_per_second(limit->second->bytes_per_second());
  }
  if (it == stats_.end()) return;
  const PeerStats& s = it->second;
  status->set_chunks_fetched(s.fetched);
  status->set_bytes_fetched(s.bytes);
  status->set_chunks_refused(s.refused);
  status->set_chunks_queued(s.queued);
  status->set_bytes_queued(s.queued_bytes);
  status->set_last_transfer_error(s.last_error);
  const double rate = RateOf(s);
  status->set_file_bytes_per_second(static_cast<uint64_t>(rate));
  if (rate > 0 && s.queued_bytes > 0) {
    status->set_file_seconds_left(
        static_cast<uint64_t>(static_cast<double>(s.queued_bytes) / rate) + 1);
  }
}

bool FileFetcher::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

namespace {

// Errors of the link (not of one material) back the peer off.
bool IsTransportError(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

}  // namespace

void FileFetcher::FetchGroup(const Task& task, size_t* stored) {
  std::set<std::string> remaining(task.shas.begin(), task.shas.end());
  // The peer the material came from first, then the others.
  std::vector<const FetchPeer*> order;
  if (const FetchPeer* p = FindPeer(task.preferred_peer)) order.push_back(p);
  for (const FetchPeer& p : peers_) {
    if (p.org != task.preferred_peer) order.push_back(&p);
  }
  for (const FetchPeer* peer : order) {
    if (remaining.empty()) break;
    if (peer->policy == v1::Subscription::NONE) continue;
    if (!InAudience(task.audience, task.origin, peer->org)) continue;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_ || Now() < stats_[peer->org].retry_after) continue;
    }
    v1::GetChunksRequest request;
    request.set_material_id(task.id);
    for (const std::string& sha : remaining) request.add_sha256(sha);
    const absl::Status status = peer->link->GetChunks(
        request, std::min(options_.call_timeout, std::max(absl::Seconds(1), task.deadline - Now())),
        [&](const v1::ChunkData& chunk) {
          if (Stopping() || (task.cancelled && task.cancelled())) return false;
          if (chunk.missing() || !remaining.count(chunk.sha256())) return true;
          if (auto want = task.lengths.find(chunk.sha256());
              want != task.lengths.end() && want->second != chunk.data().size()) {
            // The hash matched, so the origin's listing is what lies: no
            // peer can serve this chunk as listed.
            absl::MutexLock lock(&mu_);
            PeerStats& s = stats_[peer->org];
            ++s.refused;
            s.last_error = absl::StrCat(
                "chunk ", absl::BytesToHexString(chunk.sha256()).substr(0, 16), " of '", task.id,
                "' is ", chunk.data().size(), " bytes but its file listing implies ", want->second);
            return true;
          }
          // StoreChunk checks the hash, once: it is most of the CPU a
          // transfer costs the receiver.
          const absl::Status saved =
              catalog_->files().StoreChunk(chunk.sha256(), chunk.data(), true);
          if (saved.code() == absl::StatusCode::kDataLoss) {
            // Discarded; another peer is asked for it.
            absl::MutexLock lock(&mu_);
            PeerStats& s = stats_[peer->org];
            ++s.refused;
            s.last_error =
                absl::StrCat("chunk ", absl::BytesToHexString(chunk.sha256()).substr(0, 16),
                             " failed its hash check");
            return true;
          }
          if (!saved.ok()) {
            LogError("files", absl::StrCat("storing a chunk: ", saved.message()));
            return false;
          }
          remaining.erase(chunk.sha256());
          ++*stored;
          return CountChunk(peer->org, task, chunk.data().size());
        });
    absl::MutexLock lock(&mu_);
    PeerStats& s = stats_[peer->org];
    if (status.ok()) {
      s.backoff = absl::ZeroDuration();
    } else if (IsTransportError(status)) {
      s.last_error = std::string(status.message());
      s.backoff = NextBackoff(s.backoff, absl::Seconds(1), options_.max_retry * 6);
      s.retry_after = Now() + s.backoff;
    } else if (status.code() != absl::StatusCode::kCancelled) {
      // About this material only (the peer lacks it, or its audience
      // excludes us): the peer stays usable for the others.
      s.last_error = absl::StrCat(task.id, ": ", status.message());
    }
  }
}

bool FileFetcher::CountChunk(const std::string& peer, const Task& task, uint64_t bytes) {
  const absl::Time now = Now();
  {
    absl::MutexLock lock(&mu_);
    PeerStats& s = stats_[peer];
    ++s.fetched;
    s.bytes += bytes;
    s.last_chunk = now;
    if (now - s.window_start > absl::Seconds(30)) {
      s.window_start = now;  // the first chunk after a pause starts afresh
      s.window_bytes = 0;
      s.rate = 0;
    }
    s.window_bytes += bytes;
    if (now - s.window_start >= absl::Seconds(5)) {
      s.rate = static_cast<double>(s.window_bytes) / absl::ToDoubleSeconds(now - s.window_start);
      s.window_start = now;
      s.window_bytes = 0;
    }
    PeerStats& from = stats_[task.preferred_peer];
    if (from.queued > 0) --from.queued;
    from.queued_bytes -= std::min(from.queued_bytes, bytes);
  }
  auto limit = limiters_.find(peer);
  if (limit == limiters_.end()) return true;
  // Not reading the call's stream meanwhile holds the peer back too
  // (flow control), so the link stays under the limit.
  const absl::Time until = now + limit->second->Take(bytes);
  while (Now() < until) {
    if (Stopping() || (task.cancelled && task.cancelled())) return false;
    absl::SleepFor(std::min(absl::Milliseconds(50), until - Now()));
  }
  return true;
}

size_t FileFetcher::ChunksPerCall(const std::string& peer) const {
  auto limit = limiters_.find(peer);
  if (limit == limiters_.end()) return options_.chunks_per_call;
  // Chunks of up to 1 MiB at the limit, within half the call's deadline.
  const double fit = static_cast<double>(limit->second->bytes_per_second()) *
                     absl::ToDoubleSeconds(options_.call_timeout) / 2 / kChunkSize;
  return std::clamp<size_t>(static_cast<size_t>(fit), 1, options_.chunks_per_call);
}

absl::StatusOr<FileFetcher::Wanted> FileFetcher::WantedChunks(
    const std::string& only, const std::vector<std::string>& only_chunks, bool* more) {
  if (only.empty()) {
    std::string from, next;
    {
      absl::MutexLock lock(&mu_);
      from = scan_from_;
    }
    absl::StatusOr<Wanted> wanted = catalog_->files().WantedChunks(4096, from, &next);
    *more = !next.empty();
    if (next.empty()) PruneRetries();
    absl::MutexLock lock(&mu_);
    scan_from_ = next;  // the next round continues there, or starts over
    return wanted;
  }
  absl::StatusOr<std::vector<std::string>> shas =
      only_chunks.empty() ? catalog_->files().WantedChunksOf(only)
                          : catalog_->files().MissingChunks(only_chunks);
  if (!shas.ok()) return shas.status();
  return Wanted{{only, *std::move(shas)}};
}

std::vector<FileFetcher::Task> FileFetcher::PlanTasks(const Wanted& wanted, const std::string& only,
                                                      absl::Time deadline,
                                                      const std::function<bool()>& cancelled) {
  std::vector<Task> tasks;
  std::map<std::string, uint64_t> queued, queued_bytes;
  const absl::Time now = Now();
  for (const auto& [id, shas] : wanted) {
    if (shas.empty()) continue;
    absl::StatusOr<std::optional<Entry>> entry = catalog_->GetEntry(id);
    if (!entry.ok() || !entry->has_value()) continue;
    const std::string policy = PolicyOf(**entry);
    const std::string from = (*entry)->stored.provenance().from_peer();
    std::map<std::string, uint64_t> lengths;
    if ((*entry)->has_body()) {
      for (const v1::FileInfo& f : (*entry)->material->files()) {
        const std::vector<ChunkSpan> spans = ChunkSpans(f);
        for (size_t c = 0; c < spans.size(); ++c) {
          lengths.emplace(f.chunk_sha256(static_cast<int>(c)), spans[c].length);
        }
      }
    }
    queued[from] += shas.size();
    for (const std::string& sha : shas) {
      if (auto l = lengths.find(sha); l != lengths.end()) queued_bytes[from] += l->second;
    }
    if (policy == "none" || (only.empty() && policy == "on_demand")) continue;
    if (only.empty()) {
      absl::MutexLock lock(&mu_);
      auto retry = material_retry_.find(id);
      if (retry != material_retry_.end() && now < retry->second.first) continue;
    }
    const size_t per_call = ChunksPerCall(from);
    for (size_t i = 0; i < shas.size(); i += per_call) {
      const size_t end = std::min(shas.size(), i + per_call);
      Task task{id,
                from,
                (*entry)->header.audience(),
                (*entry)->header.origin(),
                std::vector<std::string>(shas.begin() + i, shas.begin() + end),
                {},
                deadline,
                cancelled};
      for (const std::string& sha : task.shas) {
        if (auto l = lengths.find(sha); l != lengths.end()) task.lengths.insert(*l);
      }
      tasks.push_back(std::move(task));
    }
  }
  if (only.empty()) {  // a full scan's counts replace the last ones
    absl::MutexLock lock(&mu_);
    for (auto& [org, s] : stats_) s.queued = s.queued_bytes = 0;
    for (const auto& [org, n] : queued) stats_[org].queued = n;
    for (const auto& [org, n] : queued_bytes) stats_[org].queued_bytes = n;
  }
  return tasks;
}

FileFetcher::RoundResult FileFetcher::Round(const std::string& only,
                                            const std::vector<std::string>& only_chunks,
                                            absl::Time deadline,
                                            const std::function<bool()>& cancelled) {
  RoundResult result;
  absl::StatusOr<Wanted> wanted = WantedChunks(only, only_chunks, &result.more);
  if (!wanted.ok()) {
    LogError("files", absl::StrCat("file fetcher: ", wanted.status().message()));
    return result;
  }
  const absl::Time now = Now();
  const std::vector<Task> tasks = PlanTasks(*wanted, only, deadline, cancelled);
  std::vector<size_t> stored(tasks.size(), 0);
  pool_.ParallelFor(tasks.size(), [&](size_t i) { FetchGroup(tasks[i], &stored[i]); });
  // A material none of whose asked chunks came is asked again later, less
  // and less often, rather than in every round.
  std::map<std::string, size_t> by_material;
  for (size_t i = 0; i < tasks.size(); ++i) {
    by_material[tasks[i].id] += stored[i];
    result.stored += stored[i];
    result.eligible += tasks[i].shas.size();
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [id, n] : by_material) {
    if (n > 0) {
      material_retry_.erase(id);
      continue;
    }
    auto& [when, backoff] = material_retry_[id];
    backoff = NextBackoff(backoff, absl::Seconds(1), kMaxMaterialRetry);
    when = now + backoff;
  }
  return result;
}

void FileFetcher::PruneRetries() {
  std::vector<std::string> ids;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [id, retry] : material_retry_) ids.push_back(id);
  }
  for (const std::string& id : ids) {
    absl::StatusOr<std::vector<std::string>> left = catalog_->files().WantedChunksOf(id);
    if (!left.ok() || !left->empty()) continue;
    absl::MutexLock lock(&mu_);
    material_retry_.erase(id);  // retracted, narrowed or complete meanwhile
  }
}

void FileFetcher::Run() {
  absl::Duration wait;
  while (!Stopping()) {
    const uint64_t head = catalog_->head_lseq();
    const RoundResult round = Round("", {}, absl::InfiniteFuture(), nullptr);
    // Keep going while progress is made or a scan continues; otherwise wait
    // (a peer may still be fetching what it relays), and wake at once when
    // new metadata arrives.
    wait = round.stored > 0 || round.more ? absl::ZeroDuration()
           : round.eligible > 0           ? NextBackoff(wait, absl::Seconds(1), options_.max_retry)
                                          : options_.max_retry;
    const absl::Time until = Now() + wait;
    while (!Stopping() && Now() < until) {
      if (catalog_->WaitForHead(head, std::min(absl::Milliseconds(250), until - Now()))) break;
    }
  }
}

absl::Status FileFetcher::FetchNow(const std::string& id, const std::vector<std::string>& chunks,
                                   absl::Duration timeout, const std::function<bool()>& cancelled) {
  absl::StatusOr<std::optional<Entry>> entry = catalog_->GetEntry(id);
  if (!entry.ok()) return entry.status();
  if (!entry->has_value()) return absl::NotFoundError(absl::StrCat("no material '", id, "'"));
  const std::string policy = PolicyOf(**entry);
  const absl::Time deadline = Now() + timeout;
  while (true) {
    absl::StatusOr<std::vector<std::string>> left = chunks.empty()
                                                        ? catalog_->files().WantedChunksOf(id)
                                                        : catalog_->files().MissingChunks(chunks);
    if (!left.ok()) return left.status();
    const size_t missing = left->size();
    if (missing == 0) return absl::OkStatus();
    if (policy == "none") {
      return absl::FailedPreconditionError(absl::StrCat(
          missing, " chunks of '", id, "' are not here, and files from peer '",
          (*entry)->stored.provenance().from_peer(), "' are never fetched (file policy NONE)"));
    }
    if (cancelled() || Stopping()) return absl::CancelledError("the fetch was cancelled");
    if (Now() >= deadline) {
      std::string errors;
      absl::MutexLock lock(&mu_);
      for (const auto& [org, s] : stats_) {
        if (!s.last_error.empty()) absl::StrAppend(&errors, "; ", org, ": ", s.last_error);
      }
      return absl::UnavailableError(absl::StrCat(
          missing, " chunks of '", id, "' could not be fetched from peers in time", errors));
    }
    if (Round(id, chunks, deadline, cancelled).stored == 0) absl::SleepFor(absl::Milliseconds(200));
  }
}

}  // namespace minga
