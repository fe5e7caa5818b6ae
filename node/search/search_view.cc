#include "node/search/search_view.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "node/core/log.h"
#include "node/core/status_macros.h"
#include "node/core/threads.h"
#include "node/search/document.h"
#include "node/search/query.h"

namespace minga::search {
namespace {

namespace fs = std::filesystem;

// Metadata committed with the documents.
constexpr char kMetaPosition[] = "minga.position";
constexpr char kMetaFeed[] = "minga.feed_id";
constexpr char kMetaFormat[] = "minga.format";
// Changes when what a document holds changes (analysis, terms, values): an
// index of another format is rebuilt.
constexpr char kFormat[] = "2";
constexpr char kCurrentFile[] = "CURRENT";
constexpr char kGenerationPrefix[] = "index-";

// The name of the generation after `name` ("index-N"; the first when there
// is none or it is not one of ours).
std::string NextGeneration(const std::string& name) {
  uint64_t n = 0;
  if (absl::StartsWith(name, kGenerationPrefix) &&
      !absl::SimpleAtoi(name.substr(std::strlen(kGenerationPrefix)), &n)) {
    n = 0;
  }
  return absl::StrCat(kGenerationPrefix, n + 1);
}

absl::Status FromXapian(const Xapian::Error& e, absl::string_view what) {
  const std::string msg = absl::StrCat("search index: ", what, ": ", e.get_description());
  if (std::string(e.get_type()) == "DatabaseCorruptError") {
    return absl::DataLossError(absl::StrCat(msg, " (run minga reindex)"));
  }
  return absl::UnavailableError(msg);
}

// fsync of a file or directory; Xapian does its own except with
// DB_NO_SYNC, which builds aside use and then sync here.
absl::Status SyncPath(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0)
    return absl::UnavailableError(absl::StrCat(path.string(), ": ", std::strerror(errno)));
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok)
    return absl::UnavailableError(absl::StrCat(path.string(), ": fsync: ", std::strerror(errno)));
  return absl::OkStatus();
}

absl::Status SyncTree(const fs::path& dir) {
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file()) RETURN_IF_ERROR(SyncPath(e.path()));
  }
  if (ec) return absl::UnavailableError(absl::StrCat(dir.string(), ": ", ec.message()));
  return SyncPath(dir);
}

uint64_t ParsePosition(const std::string& s) {
  uint64_t v = 0;
  return absl::SimpleAtoi(s, &v) ? v : 0;
}

// The facet terms and spelling words a document holds.
std::vector<std::string> FacetTermsOf(const Xapian::Document& doc) {
  std::vector<std::string> out;
  auto t = doc.termlist_begin();
  t.skip_to("X");
  for (; t != doc.termlist_end() && absl::StartsWith(*t, "X"); ++t) out.push_back(*t);
  return out;
}

}  // namespace

// One index directory and what searches need of it.
struct SearchView::Generation {
  std::string name;
  fs::path path;
  DocStats stats;
  absl::Mutex pool_mu;
  std::vector<std::unique_ptr<Xapian::Database>> pool ABSL_GUARDED_BY(pool_mu);
};

// A change the indexer made to the writer, applied to the stats on commit.
struct SearchView::StatsChange {
  Xapian::docid did = 0;
  bool removed = false;
  uint32_t length = 0;
  uint64_t date = 0;
  std::vector<std::string> old_facets;
  std::vector<std::string> facets;
};

namespace {

// Indexes (or drops) material `id` at feed position `lseq` in `db`.
// Returns the change to the stats, or nothing when the feed position is
// stale (the material moved on; its newer position comes later).
absl::StatusOr<std::optional<std::pair<Xapian::docid, bool>>> Apply(
    Catalog* catalog, Xapian::WritableDatabase* db, const std::string& id, uint64_t lseq,
    Stemmers* stemmers, IndexedDocument* built, std::vector<std::string>* old_facets) {
  ASSIGN_OR_RETURN(std::optional<Entry> entry, catalog->GetEntry(id));
  if (entry.has_value() && entry->stored.lseq() != lseq) return std::nullopt;
  const std::string unique = absl::StrCat(kIdPrefix, id);
  Xapian::docid old = 0;
  if (auto p = db->postlist_begin(unique); p != db->postlist_end(unique)) old = *p;
  old_facets->clear();
  if (old != 0) {
    const Xapian::Document doc = db->get_document(old);
    *old_facets = FacetTermsOf(doc);
    for (const std::string& w : SpellingWordsOf(doc)) db->remove_spelling(w);
  }
  if (entry.has_value() && entry->has_body() && !entry->header.deleted()) {
    *built = BuildDocument(id, *entry->material, entry->header.time_unix_micros(), stemmers);
    for (const std::string& w : built->spelling) db->add_spelling(w);
    // The id term was looked up above: no second lookup by term.
    if (old != 0) {
      db->replace_document(old, built->doc);
      return std::make_pair(old, false);
    }
    return std::make_pair(db->add_document(built->doc), false);
  }
  if (old == 0) return std::nullopt;
  db->delete_document(unique);
  return std::make_pair(old, true);
}

}  // namespace

SearchView::SearchView(SearchViewOptions options)
    : options_(std::move(options)), catalog_(options_.catalog) {}

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

absl::Status SearchView::OpenCurrent() {
  const fs::path dir(options_.dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("search index: ", dir.string(), ": ", ec.message()));
  std::string name;
  {
    std::ifstream in(dir / kCurrentFile);
    std::getline(in, name);
  }
  // Leftovers of a rebuild that did not finish.
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (absl::StartsWith(n, kGenerationPrefix) && n != name) fs::remove_all(e.path(), ec);
  }
  const int flags = options_.sync ? 0 : Xapian::DB_NO_SYNC;
  bool fresh = name.empty() || !fs::exists(dir / name);
  if (!fresh) {
    try {
      writer_ = std::make_unique<Xapian::WritableDatabase>((dir / name).string(),
                                                           Xapian::DB_OPEN | flags);
      const bool same =
          writer_->get_metadata(kMetaFormat) == kFormat &&
          writer_->get_metadata(kMetaFeed) == catalog_->feed_id() &&
          ParsePosition(writer_->get_metadata(kMetaPosition)) <= catalog_->head_lseq();
      if (!same) {
        // Another feed (a new or restored store) or format: start over.
        LogInfo("search index: made for another store or format; rebuilding it");
        writer_.reset();
        fresh = true;
      }
    } catch (const Xapian::DatabaseError& e) {
      // It is a view of the store: a damaged one is rebuilt, not repaired.
      LogError(absl::StrCat("search index: ", e.get_description(), "; rebuilding it"));
      writer_.reset();
      fresh = true;
    }
  }
  if (fresh) {
    const std::string next = NextGeneration(name);
    {
      Xapian::WritableDatabase db((dir / next).string(), Xapian::DB_CREATE_OR_OVERWRITE | flags);
      db.set_metadata(kMetaFormat, kFormat);
      db.set_metadata(kMetaFeed, catalog_->feed_id());
      db.set_metadata(kMetaPosition, "0");
      db.commit();
    }
    RETURN_IF_ERROR(SwitchTo(next));
    return absl::OkStatus();
  }
  auto gen = std::make_shared<Generation>();
  gen->name = name;
  gen->path = dir / name;
  gen->stats.Rebuild(*writer_);
  {
    absl::MutexLock lock(&gen_mu_);
    current_ = std::move(gen);
  }
  absl::MutexLock lock(&state_mu_);
  position_.store(ParsePosition(writer_->get_metadata(kMetaPosition)));
  uncommitted_position_ = position_.load();
  return absl::OkStatus();
}

absl::Status SearchView::SwitchTo(const std::string& name) {
  const fs::path dir(options_.dir);
  // CURRENT names the index in use; the rename makes the switch atomic.
  const fs::path tmp = dir / (std::string(kCurrentFile) + ".tmp");
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << name << "\n";
    if (!out)
      return absl::UnavailableError(absl::StrCat("search index: cannot write ", tmp.string()));
  }
  RETURN_IF_ERROR(SyncPath(tmp));
  std::error_code ec;
  fs::rename(tmp, dir / kCurrentFile, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("search index: ", ec.message()));
  RETURN_IF_ERROR(SyncPath(dir));

  const int flags = options_.sync ? 0 : Xapian::DB_NO_SYNC;
  if (writer_ != nullptr) writer_->close();
  writer_ =
      std::make_unique<Xapian::WritableDatabase>((dir / name).string(), Xapian::DB_OPEN | flags);
  auto gen = std::make_shared<Generation>();
  gen->name = name;
  gen->path = dir / name;
  gen->stats.Rebuild(*writer_);
  std::shared_ptr<Generation> old;
  {
    absl::MutexLock lock(&gen_mu_);
    old = std::move(current_);
    current_ = std::move(gen);
  }
  uncommitted_.clear();
  const uint64_t position = ParsePosition(writer_->get_metadata(kMetaPosition));
  uncommitted_position_ = position;
  {
    absl::MutexLock lock(&state_mu_);
    position_.store(position);
    for (auto it = dead_.begin(); it != dead_.end();) {
      it = it->second <= position ? dead_.erase(it) : std::next(it);
    }
  }
  // Searches still reading the old one keep their open files; the names go.
  if (old != nullptr && old->name != name) fs::remove_all(old->path, ec);
  return absl::OkStatus();
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
  if (writer_ == nullptr) return;  // stopped already
  catalog_->RemoveListener(listener_);
  try {
    if (!uncommitted_.empty()) {
      // What is not committed is indexed again at the next start.
      absl::Status s = CommitLocked(uncommitted_position_);
      if (!s.ok()) LogError(std::string(s.message()));
    }
    writer_->close();
  } catch (const Xapian::Error& e) {
    LogError(absl::StrCat("search index: closing: ", e.get_description()));
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

bool SearchView::WaitForPosition(uint64_t lseq, absl::Duration timeout) {
  absl::MutexLock lock(&state_mu_);
  auto reached = [this, lseq]()
                     ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_mu_) { return position_.load() >= lseq; };
  return state_mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
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
      // Paused while the disk is short of room; polled, so indexing resumes
      // within a second of space returning.
      constexpr absl::string_view kPaused = "search index: paused: ";
      absl::Status room = CheckRoom(kPaused);
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
        try {
          const std::string name = current()->name;
          writer_.reset();
          writer_ = std::make_unique<Xapian::WritableDatabase>(
              (fs::path(options_.dir) / name).string(),
              Xapian::DB_OPEN | (options_.sync ? 0 : Xapian::DB_NO_SYNC));
          uncommitted_position_ = ParsePosition(writer_->get_metadata(kMetaPosition));
          current()->stats.Rebuild(*writer_);
        } catch (const Xapian::Error& e) {
          LogError(absl::StrCat("search index: reopening: ", e.get_description()));
        }
      }
      reached = uncommitted_position_;
    }
    if (!read.ok()) {
      LogError(std::string(read.status().message()));
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

absl::Status SearchView::CheckRoom(absl::string_view what) const {
  return options_.reserve == nullptr ? absl::OkStatus() : options_.reserve->Check(0, what);
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
  Stemmers stemmers;
  IndexedDocument built;
  std::vector<std::string> old_facets;
  if (uncommitted_.empty()) first_uncommitted_ = absl::Now();
  for (const FeedChange& c : changes) {
    ASSIGN_OR_RETURN(auto applied,
                     Apply(catalog_, writer_.get(), c.id, c.lseq, &stemmers, &built, &old_facets));
    if (applied.has_value()) {
      StatsChange change;
      change.did = applied->first;
      change.removed = applied->second;
      change.old_facets = old_facets;
      if (!change.removed) {
        change.length = built.length;
        change.date = built.date;
        change.facets = built.facet_terms;
      }
      uncommitted_.push_back(std::move(change));
    }
    uncommitted_position_ = c.lseq;
  }
  // A lone change is searchable at once; a stream of them, whether it
  // comes in large batches or one change at a time, is committed in groups
  // at most every commit_interval, so commits (and the fsyncs of every
  // Xapian table) stay few and leave the disk to the store's writes.
  const absl::Time now = absl::Now();
  const bool caught_up = uncommitted_position_ >= catalog_->head_lseq();
  if ((caught_up && now - last_commit_ >= options_.commit_interval) ||
      uncommitted_.size() >= options_.commit_changes ||
      now - first_uncommitted_ >= options_.commit_interval) {
    RETURN_IF_ERROR(CommitLocked(uncommitted_position_));
  }
  return changes.size();
}

absl::Status SearchView::CommitLocked(uint64_t position) {
  writer_->set_metadata(kMetaPosition, absl::StrCat(position));
  last_commit_ = absl::Now();
  try {
    writer_->commit();
  } catch (const Xapian::Error& e) {
    return FromXapian(e, "commit");
  }
  std::shared_ptr<Generation> gen = current();
  for (const StatsChange& c : uncommitted_) {
    if (c.removed) {
      gen->stats.Remove(c.did, c.old_facets);
    } else {
      gen->stats.Set(c.did, c.length, c.date, c.old_facets, c.facets);
    }
  }
  uncommitted_.clear();
  absl::MutexLock lock(&state_mu_);
  position_.store(position);
  last_error_.clear();
  for (auto it = dead_.begin(); it != dead_.end();) {
    it = it->second <= position ? dead_.erase(it) : std::next(it);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SearchResponse> SearchView::Search(const v1::SearchRequest& request) {
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

absl::Status SearchView::Reindex(const std::function<void(uint64_t, uint64_t)>& progress) {
  if (!reindex_mu_.TryLock()) {
    return absl::FailedPreconditionError("reindex: one is already running");
  }
  if (absl::Status room = CheckRoom("reindex: "); !room.ok()) {
    reindex_mu_.Unlock();
    return room;
  }
  absl::Status result;
  const fs::path dir(options_.dir);
  std::string name;
  try {
    name = NextGeneration(current()->name);
    // Built without fsyncs beside where it goes, then compacted into place.
    const std::string build_dir = (dir / absl::StrCat(name, "-build")).string();
    Xapian::WritableDatabase db(build_dir, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_SYNC);
    const uint64_t start = catalog_->head_lseq();
    uint64_t total = 0;
    result = catalog_->ScanEntries([&](absl::string_view, const Entry& e) {
      total += e.has_body() && !e.header.deleted() ? 1 : 0;
      return absl::OkStatus();
    });
    Stemmers stemmers;
    uint64_t done = 0;
    if (result.ok()) {
      progress(0, total);
      result = catalog_->ScanEntries([&](absl::string_view id, const Entry& e) {
        if (!e.has_body() || e.header.deleted()) return absl::OkStatus();
        IndexedDocument built =
            BuildDocument(id, *e.material, e.header.time_unix_micros(), &stemmers);
        for (const std::string& w : built.spelling) db.add_spelling(w);
        db.replace_document(absl::StrCat(kIdPrefix, id), built.doc);
        if (++done % 5000 == 0) progress(done, total);
        return absl::OkStatus();
      });
    }
    // What changed during the scan (and after) comes from the feed; the
    // last stretch with the live indexer held, then the switch.
    uint64_t at = start;
    auto catch_up = [&]() -> absl::Status {
      IndexedDocument built;
      std::vector<std::string> old_facets;
      while (true) {
        ASSIGN_OR_RETURN(std::vector<FeedChange> changes, catalog_->feed().ReadFeed(at, 4096));
        if (changes.empty()) return absl::OkStatus();
        for (const FeedChange& c : changes) {
          ASSIGN_OR_RETURN(auto applied,
                           Apply(catalog_, &db, c.id, c.lseq, &stemmers, &built, &old_facets));
          (void)applied;  // the stats are rebuilt at the switch
          at = c.lseq;
        }
      }
    };
    if (result.ok()) result = catch_up();
    if (result.ok()) {
      absl::MutexLock lock(&writer_mu_);
      result = catch_up();
      if (result.ok()) {
        db.set_metadata(kMetaFormat, kFormat);
        db.set_metadata(kMetaFeed, catalog_->feed_id());
        db.set_metadata(kMetaPosition, absl::StrCat(at));
        db.commit();
        db.close();
        // Copied compactly (a bulk-built index is half free space), then
        // synced as a whole.
        Xapian::Database(build_dir).compact((dir / name).string(), Xapian::DBCOMPACT_NO_RENUMBER);
        std::error_code ec;
        fs::remove_all(build_dir, ec);
        result = SyncTree(dir / name);
      }
      if (result.ok()) result = SwitchTo(name);
    }
    // Outside the writer's lock: a client slow to read progress holds
    // nothing.
    if (result.ok()) progress(done, total);
  } catch (const Xapian::Error& e) {
    result = FromXapian(e, "reindex");
  }
  if (!result.ok() && !name.empty() && (current() == nullptr || current()->name != name)) {
    std::error_code ec;
    fs::remove_all(dir / name, ec);
    fs::remove_all(dir / absl::StrCat(name, "-build"), ec);
  }
  reindex_mu_.Unlock();
  return result;
}

absl::Status SearchView::Compact() {
  if (!reindex_mu_.TryLock()) {
    return absl::FailedPreconditionError("compact: a reindex is running");
  }
  if (absl::Status room = CheckRoom("compact: "); !room.ok()) {
    reindex_mu_.Unlock();
    return room;
  }
  absl::Status result;
  const fs::path dir(options_.dir);
  std::string name;
  try {
    absl::MutexLock lock(&writer_mu_);
    if (!uncommitted_.empty()) result = CommitLocked(uncommitted_position_);
    std::shared_ptr<Generation> gen = current();
    name = NextGeneration(gen->name);
    if (result.ok()) {
      // A compacted index is a new generation (cursors of the old one are
      // refused), though it keeps the document numbers.
      Xapian::Database(gen->path.string())
          .compact((dir / name).string(), Xapian::DBCOMPACT_NO_RENUMBER);
      result = SyncTree(dir / name);
    }
    if (result.ok()) result = SwitchTo(name);
  } catch (const Xapian::Error& e) {
    result = FromXapian(e, "compact");
  }
  if (!result.ok() && !name.empty() && current()->name != name) {
    std::error_code ec;
    fs::remove_all(dir / name, ec);
  }
  reindex_mu_.Unlock();
  return result;
}

}  // namespace minga::search
