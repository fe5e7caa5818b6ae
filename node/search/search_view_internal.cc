#include "node/search/search_view_internal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "node/core/status_macros.h"

namespace minga::search {
namespace {

namespace fs = std::filesystem;

// The facet terms and spelling words a document holds.
std::vector<std::string> FacetTermsOf(const Xapian::Document& doc) {
  std::vector<std::string> out;
  auto t = doc.termlist_begin();
  t.skip_to("X");
  for (; t != doc.termlist_end() && absl::StartsWith(*t, "X"); ++t) out.push_back(*t);
  return out;
}

}  // namespace

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

uint64_t TreeBytes(const fs::path& dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    std::error_code size_ec;
    const uintmax_t size = e.is_regular_file(size_ec) ? e.file_size(size_ec) : 0;
    if (!size_ec) bytes += size;
  }
  return bytes;
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

absl::StatusOr<PreparedChange> PrepareChange(Catalog* catalog, const FeedChange& change,
                                             Stemmers* stemmers, CommonWords* common) {
  PreparedChange out;
  out.id = change.id;
  out.lseq = change.lseq;
  ASSIGN_OR_RETURN(std::optional<Entry> entry, catalog->GetEntry(change.id));
  if (entry.has_value() && entry->stored.lseq() != change.lseq) {
    out.stale = true;
  } else if (entry.has_value() && entry->has_body() && !entry->header.deleted()) {
    out.built = BuildDocument(change.id, *entry->material, entry->header.time_unix_micros(),
                              stemmers, common);
  }
  return out;
}

std::optional<AppliedChange> ApplyPrepared(Xapian::WritableDatabase* db, SpellingBatch* spelling,
                                           const PreparedChange& change,
                                           std::vector<std::string>* old_facets) {
  if (change.stale) return std::nullopt;
  const std::string unique = absl::StrCat(kIdPrefix, change.id);
  AppliedChange applied;
  if (auto p = db->postlist_begin(unique); p != db->postlist_end(unique)) applied.did = *p;
  old_facets->clear();
  if (applied.did != 0) {
    const Xapian::Document doc = db->get_document(applied.did);
    *old_facets = FacetTermsOf(doc);
    applied.terms_touched = doc.termlist_count();
    for (const std::string& w : SpellingWordsOf(doc)) spelling->Remove(w);
  }
  if (change.built.has_value()) {
    const IndexedDocument& built = *change.built;
    for (const std::string& w : built.spelling) spelling->Add(w);
    applied.terms_touched += built.doc.termlist_count();
    // The id term was looked up above: no second lookup by term.
    if (applied.did != 0) {
      db->replace_document(applied.did, built.doc);
    } else {
      applied.did = db->add_document(built.doc);
    }
    return applied;
  }
  if (applied.did == 0) return std::nullopt;
  db->delete_document(unique);
  applied.removed = true;
  return applied;
}

absl::StatusOr<std::optional<AppliedChange>> ApplyChange(Catalog* catalog,
                                                         Xapian::WritableDatabase* db,
                                                         SpellingBatch* spelling,
                                                         const FeedChange& change,
                                                         Stemmers* stemmers, CommonWords* common) {
  ASSIGN_OR_RETURN(const PreparedChange prepared, PrepareChange(catalog, change, stemmers, common));
  std::vector<std::string> old_facets;
  return ApplyPrepared(db, spelling, prepared, &old_facets);
}

}  // namespace minga::search
