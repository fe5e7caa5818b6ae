// SearchView: opening, following the feed, committing and searching. Index
// directories, reindex and compact are in search_view_generations.cc.
#include "node/search/search_view.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/core/log.h"
#include "node/core/status_macros.h"
#include "node/core/threads.h"
#include "node/search/build_ahead.h"
#include "node/search/document.h"
#include "node/search/query.h"
#include "node/search/search_view_internal.h"

namespace minga::search {

namespace fs = std::filesystem;

// Documents applied between two looks for stems turned common.
constexpr size_t kPromoteEvery = 1000;
// Changes handed to BuildAhead at a time: enough that the hand-over costs
// little, few enough that the writer starts soon.
constexpr size_t kBuildAheadStretch = 64;

SearchView::SearchView(SearchViewOptions options)
    : options_(std::move(options)),
      catalog_(options_.catalog),
      build_ahead_(std::make_unique<BuildAhead>(catalog_)) {}

SearchView::~SearchView() { Stop(); }

absl::StatusOr<std::unique_ptr<SearchView>> SearchView::Open(SearchViewOptions options) {
  if (options.dir.empty() || options.catalog == nullptr) {
    return absl::InvalidArgumentError("search index: a directory and a catalog are required");
  }
  std::unique_ptr<SearchView> view(new SearchView(std::move(options)));
  // Told of every change from now on, before anything is read, so nothing
  // committed meanwhile is missed.
  view->listener_ = view->catalog_->AddListener(
      [v = view.get()](const CatalogChange& c) { v->OnChange(c.lseq, c.id, c.has_body); });
  absl::Status opened;
  try {
    absl::MutexLock lock(&view->writer_mu_);
    opened = view->OpenCurrent();
  } catch (const Xapian::Error& e) {
    opened = FromXapian(e, "open");
  }
  if (!opened.ok()) {
    view->catalog_->RemoveListener(view->listener_);
    return opened;
  }
  // What changed since the index's position and left a material without a
  // body: hidden from the start.
  uint64_t after = view->position();
  while (true) {
    ASSIGN_OR_RETURN(std::vector<FeedChange> changes, view->catalog_->feed().ReadFeed(after, 4096));
    if (changes.empty()) break;
    for (const FeedChange& c : changes) {
      bool has_body;
      if (c.has_body.has_value()) {
        has_body = *c.has_body;  // the feed says: no read of the entry
      } else {
        ASSIGN_OR_RETURN(std::optional<Entry> entry, view->catalog_->GetEntry(c.id));
        has_body = entry.has_value() && entry->has_body();
      }
      if (!has_body) {
        absl::MutexLock lock(&view->state_mu_);
        view->dead_.try_emplace(c.id, c.lseq);
      }
      after = c.lseq;
    }
  }
  return view;
}

std::shared_ptr<SearchView::Generation> SearchView::current() const {
  absl::MutexLock lock(&gen_mu_);
  return current_;
}

void SearchView::Start() {
  {
    absl::MutexLock lock(&state_mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    // The index follows the store: writes and pulls come first.
    NameThisThread("minga-index");
    LowerThisThreadsPriority();
    Run();
  });
}

void SearchView::Stop() {
  {
    absl::MutexLock lock(&state_mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&writer_mu_);
  // A stretch the indexer left in progress reads the catalog: done before
  // Stop returns, so the catalog may close after it.
  build_ahead_->Forget();
  if (writer_ == nullptr) return;  // stopped already
  catalog_->RemoveListener(listener_);
  try {
    if (!uncommitted_.empty()) {
      // What is not committed is indexed again at the next start.
      absl::Status s = CommitLocked(uncommitted_position_);
      if (!s.ok()) LogError("search", std::string(s.message()));
    }
    writer_->close();
  } catch (const Xapian::Error& e) {
    LogError("search", absl::StrCat("search index: closing: ", e.get_description()));
  }
  writer_.reset();
}

void SearchView::HoldForTest(bool hold) {
  absl::MutexLock lock(&state_mu_);
  hold_ = hold;
}

void SearchView::OnChange(uint64_t lseq, const std::string& id, bool has_body) {
  absl::MutexLock lock(&state_mu_);
  if (has_body) {
    dead_.erase(id);
  } else {
    dead_[id] = lseq;
  }
}

std::vector<std::string> SearchView::DeadIds() const {
  absl::MutexLock lock(&state_mu_);
  std::vector<std::string> out;
  out.reserve(dead_.size());
  for (const auto& [id, lseq] : dead_) out.push_back(id);
  return out;
}

std::string SearchView::last_error() const {
  absl::MutexLock lock(&state_mu_);
  return last_error_;
}

uint64_t SearchView::documents() const { return current()->stats.size(); }

std::string SearchView::current_path() const { return current()->path.string(); }

bool SearchView::WaitForPosition(uint64_t lseq, absl::Duration timeout) {
  absl::MutexLock lock(&state_mu_);
  auto reached = [this, lseq]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) { return position_.load() >= lseq; };
  return state_mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void SearchView::LoadCommitted(Generation* gen) {
  gen->stats.Rebuild(*writer_);
  common_ = CommonWords::Load(*writer_);
  build_ahead_->Forget();
  common_published_ = common_.vintage();
  since_promote_ = 0;
}

void SearchView::Run() {
  absl::Duration backoff = absl::Seconds(1);
  while (true) {
    {
      absl::MutexLock lock(&state_mu_);
      auto go = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) { return stopping_ || !hold_; };
      state_mu_.Await(absl::Condition(&go));
      if (stopping_) return;
    }
    {
      // Paused while the disk is short of room, with a margin for the one
      // change that may overshoot a commit's bound (IndexSome); polled, so
      // indexing resumes within a second of space returning.
      constexpr absl::string_view kPaused = "search index: paused: ";
      constexpr uint64_t kMargin = 8 << 20;
      absl::Status room = CheckRoom(kPaused, kMargin);
      absl::MutexLock lock(&state_mu_);
      if (!room.ok()) {
        last_error_ = std::string(room.message());
        auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) { return stopping_; };
        state_mu_.AwaitWithTimeout(absl::Condition(&stop), absl::Seconds(1));
        continue;
      }
      if (absl::StartsWith(last_error_, kPaused)) last_error_.clear();
    }
    absl::StatusOr<size_t> read;
    uint64_t reached = 0;
    {
      absl::MutexLock lock(&writer_mu_);
      try {
        read = IndexSome();
      } catch (const Xapian::Error& e) {
        read = FromXapian(e, "indexing");
      }
      if (!read.ok()) {
        // Start again from the last commit: what was not committed is
        // indexed again.
        uncommitted_.clear();
        uncommitted_terms_ = 0;
        try {
          const std::string name = current()->name;
          // Closing commits what the writer holds, without its position:
          // those documents are indexed again, and their spelling words
          // must be there to be taken out again.
          try {
            spelling_.FlushTo(writer_.get());
          } catch (const Xapian::Error&) {
            // The reopening below reports what is wrong with the index.
          }
          spelling_.Clear();
          writer_.reset();
          writer_ = std::make_unique<Xapian::WritableDatabase>(
              (fs::path(options_.dir) / name).string(),
              Xapian::DB_OPEN | (options_.sync ? 0 : Xapian::DB_NO_SYNC));
          uncommitted_position_ = ParsePosition(writer_->get_metadata(kMetaPosition));
          LoadCommitted(current().get());
        } catch (const Xapian::Error& e) {
          LogError("search", absl::StrCat("search index: reopening: ", e.get_description()));
        }
      }
      reached = uncommitted_position_;
    }
    if (!read.ok()) {
      LogError("search", std::string(read.status().message()));
      {
        absl::MutexLock lock(&state_mu_);
        last_error_ = std::string(read.status().message());
      }
      absl::MutexLock lock(&state_mu_);
      auto stop = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) { return stopping_; };
      state_mu_.AwaitWithTimeout(absl::Condition(&stop), backoff);
      backoff = std::min(absl::Seconds(30), backoff * 2);
      continue;
    }
    backoff = absl::Seconds(1);
    // Nothing new: wait for the next change, or for the moment the pending
    // ones are due.
    if (*read == 0) catalog_->WaitForHead(reached, options_.commit_interval / 2);
  }
}

absl::Status SearchView::CheckRoom(absl::string_view what, uint64_t bytes) const {
  return options_.reserve == nullptr ? absl::OkStatus() : options_.reserve->Check(bytes, what);
}

absl::StatusOr<size_t> SearchView::IndexSome() {
  ASSIGN_OR_RETURN(std::vector<FeedChange> changes,
                   catalog_->feed().ReadFeed(uncommitted_position_, options_.commit_changes));
  if (changes.empty()) {
    // Caught up: what is pending is committed, unless a commit was made a
    // moment ago (see below); then the next pass commits it.
    if (!uncommitted_.empty() && absl::Now() - last_commit_ >= options_.commit_interval) {
      RETURN_IF_ERROR(CommitLocked(uncommitted_position_));
    }
    return 0;
  }
  if (uncommitted_.empty()) first_uncommitted_ = absl::Now();
  const uint64_t index_bytes = options_.reserve != nullptr ? TreeBytes(current()->path) : 0;
  size_t read = 0;
  bool short_of_room = false;
  auto apply = [&](const absl::StatusOr<PreparedChange>& p)
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(writer_mu_) -> absl::Status {
    RETURN_IF_ERROR(p.status());
    ++read;
    short_of_room = !IndexPrepared(*p, index_bytes);
    return absl::OkStatus();
  };
  if (changes.size() < 2 * kBuildAheadStretch) {
    // A few changes (following a partner, a lone write): built here, with
    // no hand-over to wait for.
    Stemmers stemmers;
    for (const FeedChange& c : changes) {
      RETURN_IF_ERROR(apply(PrepareChange(catalog_, c, &stemmers, &common_)));
      if (short_of_room) break;
    }
  } else {
    // A stream: the next stretch is built while this one is applied.
    size_t next = 0;
    auto next_stretch = [&]() {
      const size_t end = std::min(next + kBuildAheadStretch, changes.size());
      std::vector<FeedChange> stretch(changes.begin() + next, changes.begin() + end);
      next = end;
      return stretch;
    };
    build_ahead_->Start(next_stretch(), common_);
    while (!short_of_room) {
      std::vector<absl::StatusOr<PreparedChange>> stretch =
          build_ahead_->HandOver(next_stretch(), &common_);
      if (stretch.empty()) break;
      for (const absl::StatusOr<PreparedChange>& p : stretch) {
        RETURN_IF_ERROR(apply(p));
        if (short_of_room) break;
      }
      build_ahead_->Recycle(std::move(stretch));
    }
  }
  // A lone change is searchable at once; a stream of them, whether it
  // comes in large batches or one change at a time, is committed in groups
  // at most every commit_interval, so commits (and the fsyncs of every
  // Xapian table) stay few and leave the disk to the store's writes.
  const absl::Time now = absl::Now();
  const bool caught_up = uncommitted_position_ >= catalog_->head_lseq();
  if (short_of_room || (caught_up && now - last_commit_ >= options_.commit_interval) ||
      uncommitted_.size() >= options_.commit_changes ||
      now - first_uncommitted_ >= options_.commit_interval) {
    RETURN_IF_ERROR(CommitLocked(uncommitted_position_));
  }
  return read;
}

bool SearchView::IndexPrepared(const PreparedChange& p, uint64_t index_bytes) {
  std::vector<std::string> old_facets;
  std::optional<AppliedChange> applied = ApplyPrepared(writer_.get(), &spelling_, p, &old_facets);
  if (applied.has_value()) {
    DocStats::Change change;
    change.did = applied->did;
    change.removed = applied->removed;
    change.old_facets = std::move(old_facets);
    if (!change.removed) {
      const IndexedDocument& built = *p.built;
      change.length = built.length;
      change.date = built.date;
      change.vintage = built.vintage;
      change.facets = built.facet_terms;
      // Often enough that a stem turning common gives the next documents
      // its pairs; each Promote looks up the stems seen often since.
      if (++since_promote_ >= kPromoteEvery) {
        common_.Promote(writer_.get(), options_.common_min_documents);
        since_promote_ = 0;
      }
    }
    uncommitted_.push_back(std::move(change));
    uncommitted_terms_ += applied->terms_touched;
  }
  uncommitted_position_ = p.lseq;
  // What the pending commit may write at worst: a block of the postings
  // and of the positions for every term it touches, and never more than a
  // copy of the whole index (the blocks of the last revision stay until
  // the next commit) plus what is new. Indexing stops for a commit while
  // that still leaves the reserve free, so the index never takes the room
  // the store's flushes and compactions count on.
  if (options_.reserve == nullptr) return true;
  constexpr uint64_t kBlocksPerTerm = 2 * 8192;
  constexpr uint64_t kNewBytesPerTerm = 256;
  const uint64_t worst_commit = std::min(kBlocksPerTerm * uncommitted_terms_,
                                         index_bytes + kNewBytesPerTerm * uncommitted_terms_);
  return CheckRoom("", worst_commit).ok();
}

absl::Status SearchView::CommitLocked(uint64_t position) {
  writer_->set_metadata(kMetaPosition, absl::StrCat(position));
  last_commit_ = absl::Now();
  try {
    spelling_.FlushTo(writer_.get());
    common_.Promote(writer_.get(), options_.common_min_documents);
    since_promote_ = 0;
    writer_->commit();
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "commit");
  }
  std::shared_ptr<Generation> gen = current();
  std::shared_ptr<const CommonWords> common;
  const Vintage now = common_.vintage();
  if (now.words != common_published_.words || now.pairs != common_published_.pairs) {
    common = common_.Snapshot();
    common_published_ = now;
  }
  gen->stats.Committed(writer_->get_revision(), std::move(common), uncommitted_);
  uncommitted_.clear();
  uncommitted_terms_ = 0;
  absl::MutexLock lock(&state_mu_);
  position_.store(position);
  last_error_.clear();
  for (auto it = dead_.begin(); it != dead_.end();) {
    it = it->second <= position ? dead_.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SearchResponse> SearchView::Search(const v1::SearchRequest& request) {
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::SearchResponse> response = SearchOnce(request);
  latency_.Observe(absl::ToDoubleSeconds(absl::Now() - start));
  return response;
}

absl::StatusOr<v1::SearchResponse> SearchView::SearchOnce(const v1::SearchRequest& request) {
  std::shared_ptr<Generation> gen = current();
  std::unique_ptr<Xapian::Database> reader;
  {
    absl::MutexLock lock(&gen->pool_mu);
    if (!gen->pool.empty()) {
      reader = std::move(gen->pool.back());
      gen->pool.pop_back();
    }
  }
  SearchInputs in;
  in.stats = &gen->stats;
  in.catalog = catalog_;
  in.generation = gen->name;
  in.dead_ids = DeadIds();
  const uint64_t head = catalog_->head_lseq();
  const uint64_t at = position();
  in.lag = head > at ? head - at : 0;
  absl::StatusOr<v1::SearchResponse> response;
  // A reader may see a revision the writer has since recycled: it reopens
  // and the search runs again.
  for (int attempt = 0; attempt < 3; ++attempt) {
    try {
      if (reader == nullptr) {
        reader = std::make_unique<Xapian::Database>(gen->path.string());
      } else {
        reader->reopen();
      }
      in.db = reader.get();
      response = RunSearch(in, request);
      break;
    } catch (const Xapian::DatabaseModifiedError&) {
      reader.reset();
    } catch (const Xapian::Error& e) {
      reader.reset();
      response = FromXapian(e, "search");
      break;
    }
  }
  if (reader != nullptr) {
    absl::MutexLock lock(&gen->pool_mu);
    gen->pool.push_back(std::move(reader));
  }
  return response;
}

}  // namespace minga::search
