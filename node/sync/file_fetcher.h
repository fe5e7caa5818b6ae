// FileFetcher: brings the file chunks of held materials from peers.
//
// After metadata arrives, the chunks its files list are "wanted" (see
// catalog/chunk_refs.h). Materials received from a peer whose subscription
// says EAGER are fetched at once; ON_DEMAND ones when a client asks
// (FetchNow); NONE never. Chunks come in groups of up to 16 per call,
// several calls at once, from the peer the material came from first and
// then from the others; every chunk's SHA-256 is checked, and one that
// fails is discarded and asked of another peer. Each chunk is recorded
// before the next of its call is read (chunks of calls running together
// share a commit), so a transfer cut at any point, even by kill -9,
// resumes where it stopped.
//
// Thread safety: all public methods may be called from any thread.
#ifndef MINGA_NODE_SYNC_FILE_FETCHER_H_
#define MINGA_NODE_SYNC_FILE_FETCHER_H_

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "minga/v1/admin.pb.h"
#include "minga/v1/config.pb.h"
#include "node/catalog/catalog.h"
#include "node/core/clock.h"
#include "node/core/parallel.h"
#include "node/core/rate_limiter.h"
#include "node/sync/peer_link.h"

namespace minga {

struct FetchPeer {
  std::string org;
  std::shared_ptr<PeerLink> link;
  v1::Subscription::FilePolicy policy = v1::Subscription::EAGER;
  // Most chunk bytes a second fetched from this peer, all calls together
  // (a second's worth may pass at once); 0: no limit.
  uint64_t max_bytes_per_second = 0;
};

// The longest wait before a material none of whose chunks any peer had is
// asked for again.
inline constexpr absl::Duration kMaxMaterialRetry = absl::Hours(1);

struct FetcherOptions {
  int parallel_calls = 4;
  int chunks_per_call = 16;
  absl::Duration call_timeout = absl::Seconds(120);
  // Longest wait between rounds while chunks are still wanted.
  absl::Duration max_retry = absl::Seconds(10);
};

class FileFetcher {
 public:
  // Owns threads or locks: neither copied nor moved.
  FileFetcher(const FileFetcher&) = delete;
  FileFetcher& operator=(const FileFetcher&) = delete;

  // catalog and clock: borrowed, must outlive the fetcher. Every decision
  // in time (back-offs, deadlines) reads `clock`; the waits between rounds
  // are short real-time slices that read it again, so a FakeClock drives
  // the fetcher in tests.
  FileFetcher(Catalog* catalog, std::vector<FetchPeer> peers, FetcherOptions options,
              Clock* clock = SystemClock());
  ~FileFetcher();  // Stops.

  void Start();
  void Stop();

  // "own", "eager", "on_demand" or "none" for a held material.
  std::string PolicyOf(const Entry& entry) const;
  // Fetches `chunks` of material `id` that are not stored (all it lacks
  // when empty), unless its policy is NONE (FAILED_PRECONDITION). Blocks
  // until done, `timeout` passes or `cancelled()` says so (UNAVAILABLE or
  // CANCELLED, naming what is missing and the last transfer error).
  absl::Status FetchNow(const std::string& id, const std::vector<std::string>& chunks,
                        absl::Duration timeout, const std::function<bool()>& cancelled);
  // Adds this peer's transfer counters to `status`.
  void AddStats(v1::PeerStatus* status) const;
  // The rate chunks come from `peer` now, in bytes a second; 0 when none
  // came in the last 15 s.
  uint64_t BytesPerSecondFrom(const std::string& peer) const ABSL_LOCKS_EXCLUDED(mu_);
  // One round of the background loop, on the calling thread (tests drive
  // the fetcher without Start). Returns the chunks stored.
  size_t RoundForTest() { return Round("", {}, absl::InfiniteFuture(), nullptr).stored; }

 private:
  struct Task {
    std::string id;
    std::string preferred_peer;
    // Who may hold the material's content: only those peers are asked, so
    // its id and chunk hashes never reach anyone outside it.
    v1::Audience audience;
    std::string origin;
    std::vector<std::string> shas;
    // The length each chunk must have, from the file sizes the material
    // announces: a chunk whose hash matches but whose length does not
    // shows the listing lies, and is refused.
    std::map<std::string, uint64_t> lengths;
    absl::Time deadline = absl::InfiniteFuture();
    std::function<bool()> cancelled;  // may be null
  };
  struct PeerStats {
    uint64_t fetched = 0, bytes = 0, refused = 0, queued = 0;
    // Bytes of the queued chunks, as the last round counted them less what
    // came since.
    uint64_t queued_bytes = 0;
    // The transfer rate: bytes over the last window of at least 5 s, and
    // the window being counted.
    double rate = 0;
    absl::Time window_start = absl::InfinitePast(), last_chunk = absl::InfinitePast();
    uint64_t window_bytes = 0;
    std::string last_error;
    absl::Time retry_after = absl::InfinitePast();
    absl::Duration backoff = absl::ZeroDuration();
  };

  struct RoundResult {
    size_t stored = 0;
    size_t eligible = 0;  // chunks that were asked for
    bool more = false;    // the scan of wanted chunks continues next round
  };
  void Run();
  // Fetches wanted chunks of eager materials (a slice of them, resuming
  // where the last round stopped), or `only_chunks` of `only`; calls end by
  // `deadline` or when `cancelled` (may be null) says so.
  RoundResult Round(const std::string& only, const std::vector<std::string>& only_chunks,
                    absl::Time deadline, const std::function<bool()>& cancelled);
  // Chunk hashes wanted, by material id: the next slice of the scan (and
  // `more` says whether it goes on), or those of `only`.
  using Wanted = std::map<std::string, std::vector<std::string>>;
  absl::StatusOr<Wanted> WantedChunks(const std::string& only,
                                      const std::vector<std::string>& only_chunks, bool* more);
  // One task per call: a material's wanted chunks in groups its peer's
  // limit allows, skipping materials fetched on demand (unless `only`)
  // and those whose retry is not due. A full scan also updates the queued
  // counts the peers' status shows.
  std::vector<Task> PlanTasks(const Wanted& wanted, const std::string& only, absl::Time deadline,
                              const std::function<bool()>& cancelled);
  // How many chunks one call asks of `peer`: fewer under a transfer limit,
  // so a call ends within its deadline.
  size_t ChunksPerCall(const std::string& peer) const;
  void FetchGroup(const Task& task, size_t* stored);
  // Counts a chunk of `bytes` stored from `peer` for a material that came
  // from `from`, and waits as long as the peer's limit asks (in short
  // slices; false when stopping or `task` is cancelled meanwhile).
  bool CountChunk(const std::string& peer, const Task& task, uint64_t bytes)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets retry times of materials that want nothing any more.
  void PruneRetries();
  double RateOf(const PeerStats& s) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Stopping() const;
  const FetchPeer* FindPeer(const std::string& org) const;
  absl::Time Now() const { return absl::FromUnixMicros(clock_->NowMicros()); }

  Catalog* const catalog_;
  const std::vector<FetchPeer> peers_;
  const FetcherOptions options_;
  Clock* const clock_;
  // One per peer with a limit; fixed at construction.
  std::map<std::string, std::unique_ptr<RateLimiter>> limiters_;
  ThreadPoolExecutor pool_;

  mutable absl::Mutex mu_;
  std::map<std::string, PeerStats> stats_ ABSL_GUARDED_BY(mu_);
  // Materials whose chunks no peer had last time: asked again later, less
  // and less often (up to kMaxMaterialRetry), so a listing of chunks that
  // exist nowhere costs nobody much. Pruned when a full scan ends.
  std::map<std::string, std::pair<absl::Time, absl::Duration>> material_retry_ ABSL_GUARDED_BY(mu_);
  std::string scan_from_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace minga

#endif  // MINGA_NODE_SYNC_FILE_FETCHER_H_
