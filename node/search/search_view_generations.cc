// SearchView: its index directories. CURRENT names the generation in use;
// a new one is built aside (a fresh or rebuilt index, Reindex, Compact)
// and switched to atomically by renaming CURRENT.
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/core/log.h"
#include "node/core/status_macros.h"
#include "node/search/build_ahead.h"
#include "node/search/document.h"
#include "node/search/search_view.h"
#include "node/search/search_view_internal.h"

namespace minga::search {

namespace fs = std::filesystem;

namespace {

// Indexes every material held with a body into `db` (a reindex's build
// aside), each stretch's documents built ahead of the writer while the
// stretch before is written. A material changed since the scan began is
// left to the feed's catch-up. Returns how many were indexed. Throws
// Xapian::Error from `db`.
absl::StatusOr<uint64_t> IndexEveryMaterial(
    Catalog* catalog, Xapian::WritableDatabase* db, SpellingBatch* spelling, CommonWords* common,
    uint32_t min_documents, uint64_t total,
    const std::function<void(uint64_t, uint64_t)>& progress) {
  constexpr size_t kStretch = 64;
  BuildAhead ahead(catalog);
  uint64_t done = 0;
  auto write = [&](std::vector<absl::StatusOr<PreparedChange>> built) -> absl::Status {
    for (const absl::StatusOr<PreparedChange>& p : built) {
      RETURN_IF_ERROR(p.status());
      if (p->stale || !p->built.has_value()) continue;
      for (const std::string& w : p->built->spelling) spelling->Add(w);
      db->replace_document(absl::StrCat(kIdPrefix, p->id), p->built->doc);
      if (++done % 1000 == 0) common->Promote(db, min_documents);
      if (done % 5000 == 0) progress(done, total);
    }
    ahead.Recycle(std::move(built));
    return absl::OkStatus();
  };
  std::vector<FeedChange> stretch;
  auto hand_over = [&]() -> absl::Status {
    std::vector<absl::StatusOr<PreparedChange>> built = ahead.HandOver(std::move(stretch), common);
    stretch.clear();
    return write(std::move(built));
  };
  RETURN_IF_ERROR(catalog->ScanEntries([&](absl::string_view id, const Entry& e) {
    if (!e.has_body() || e.header.deleted()) return absl::OkStatus();
    stretch.push_back(FeedChange{e.stored.lseq(), std::string(id), true});
    return stretch.size() < kStretch ? absl::OkStatus() : hand_over();
  }));
  RETURN_IF_ERROR(hand_over());
  RETURN_IF_ERROR(write(ahead.Finish(common)));
  return done;
}

}  // namespace

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
        LogInfo("search", "search index: made for another store or format; rebuilding it");
        writer_.reset();
        fresh = true;
      }
    } catch (const Xapian::DatabaseError& e) {
      // It is a view of the store: a damaged one is rebuilt, not repaired.
      LogError("search", absl::StrCat("search index: ", e.get_description(), "; rebuilding it"));
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
  LoadCommitted(gen.get());
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
  LoadCommitted(gen.get());
  std::shared_ptr<Generation> old;
  {
    absl::MutexLock lock(&gen_mu_);
    old = std::move(current_);
    current_ = std::move(gen);
  }
  uncommitted_.clear();
  uncommitted_terms_ = 0;
  spelling_.Clear();  // the old generation's
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

absl::Status SearchView::BuildAside(absl::string_view what, absl::string_view busy, int copies,
                                    const std::function<absl::Status(std::string* name)>& build) {
  if (!reindex_mu_.TryLock()) return absl::FailedPreconditionError(busy);
  absl::Status result = CheckRoom(absl::StrCat(what, ": "), copies * TreeBytes(current()->path));
  std::string name;
  if (result.ok()) {
    try {
      result = build(&name);
    } catch (const Xapian::Error& e) {
      result = FromXapian(e, what);
    }
  }
  if (!result.ok() && !name.empty() && (current() == nullptr || current()->name != name)) {
    const fs::path dir(options_.dir);
    std::error_code ec;
    fs::remove_all(dir / name, ec);
    fs::remove_all(dir / absl::StrCat(name, "-build"), ec);
  }
  reindex_mu_.Unlock();
  return result;
}

absl::Status SearchView::Reindex(const std::function<void(uint64_t, uint64_t)>& progress) {
  // The build aside holds the index about twice over (it is bulk-built),
  // then its compacted copy once more.
  return BuildAside("reindex", "reindex: one is already running", 3, [&](std::string* name) {
    const fs::path dir(options_.dir);
    *name = NextGeneration(current()->name);
    // Built without fsyncs beside where it goes, then compacted into place.
    const std::string build_dir = (dir / absl::StrCat(*name, "-build")).string();
    Xapian::WritableDatabase db(build_dir, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_SYNC);
    const uint64_t start = catalog_->head_lseq();
    // The materials held with their body, from the tally: counting them by
    // a scan read the whole store once more before the scan that indexes.
    const v1::storage::Tally tally = catalog_->Counts();
    uint64_t total = 0;
    for (const auto& [origin, counts] : tally.origins()) total += counts.materials();
    absl::Status result;
    SpellingBatch spelling;
    // Seeded with the words common in the index it replaces, so that its
    // first documents hold their pairs too.
    CommonWords common =
        current()->stats.Read([](const DocStats::View& v) { return CommonWords(v.common); });
    uint64_t done = 0;
    if (result.ok()) {
      progress(0, total);
      absl::StatusOr<uint64_t> indexed = IndexEveryMaterial(
          catalog_, &db, &spelling, &common, options_.common_min_documents, total, progress);
      result = indexed.status();
      if (indexed.ok()) done = *indexed;
    }
    Stemmers stemmers;  // the catch-up's
    // What changed during the scan (and after) comes from the feed; the
    // last stretch with the live indexer held, then the switch.
    uint64_t at = start;
    auto catch_up = [&]() -> absl::Status {
      while (true) {
        ASSIGN_OR_RETURN(std::vector<FeedChange> changes, catalog_->feed().ReadFeed(at, 4096));
        if (changes.empty()) return absl::OkStatus();
        for (const FeedChange& c : changes) {
          // The stats are rebuilt at the switch: what was applied is not needed.
          RETURN_IF_ERROR(ApplyChange(catalog_, &db, &spelling, c, &stemmers, &common).status());
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
        spelling.FlushTo(&db);
        common.Promote(&db, options_.common_min_documents);
        common.WriteTo(&db);
        db.commit();
        db.close();
        // Copied compactly (a bulk-built index is half free space), then
        // synced as a whole.
        Xapian::Database(build_dir).compact((dir / *name).string(), Xapian::DBCOMPACT_NO_RENUMBER);
        std::error_code ec;
        fs::remove_all(build_dir, ec);
        result = SyncTree(dir / *name);
      }
      if (result.ok()) result = SwitchTo(*name);
    }
    // Outside the writer's lock: a client slow to read progress holds
    // nothing.
    if (result.ok()) progress(done, total);
    return result;
  });
}

absl::Status SearchView::Compact() {
  return BuildAside("compact", "compact: a reindex is running", 1, [&](std::string* name) {
    const fs::path dir(options_.dir);
    absl::MutexLock lock(&writer_mu_);
    absl::Status result;
    if (!uncommitted_.empty()) result = CommitLocked(uncommitted_position_);
    std::shared_ptr<Generation> gen = current();
    *name = NextGeneration(gen->name);
    if (result.ok()) {
      // A compacted index is a new generation (cursors of the old one are
      // refused), though it keeps the document numbers.
      Xapian::Database(gen->path.string())
          .compact((dir / *name).string(), Xapian::DBCOMPACT_NO_RENUMBER);
      result = SyncTree(dir / *name);
    }
    if (result.ok()) result = SwitchTo(*name);
    return result;
  });
}

}  // namespace minga::search
