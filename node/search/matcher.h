// The matcher: one pass over a query's posting lists (Xapian's) that finds
// every matching document (for totals and facet counts), scores each with
// BM25, and keeps the best page that sorts after a cursor.
//
// A query is a conjunction of words; a word matches through any of its
// terms (the stems of the word in several languages, or a prefix's
// expansions), and its wdf in a document is their sum. Phrases also require
// their words at consecutive positions: two common words that follow each
// other are a pair term (common_words.h), so a document built with both
// words common is decided by that term's postings; any other is checked in
// its word sequence. Scores use the statistics the caller gives (frozen in
// a cursor, so later pages rank as page one did).
//
// A phrase of two words that is the whole query, with a pair of them
// tracked, is led by the tracked pairs' postings instead: a document there
// matches without reading the words' postings, which are read only in the
// blocks of documents whose score bounds (score_bounds.h) let a match
// enter the page; the few documents the pair terms cannot decide (built
// before the words were common, in a bucket, or holding a word's term that
// is not common) are checked as above.
//
// Thread safety: the database is the caller's, used by one thread at a time.
#ifndef MINGA_NODE_SEARCH_MATCHER_H_
#define MINGA_NODE_SEARCH_MATCHER_H_

#include <xapian.h>

#include <string>
#include <vector>

#include "node/search/common_words.h"
#include "node/search/score_bounds.h"
#include "roaring/roaring.hh"

namespace minga::search {

struct QueryWord {
  std::vector<std::string> terms;
  // Their WordHash values, for phrases.
  std::vector<uint32_t> hashes;
  // The word's share of a score: its idf, times 0.6 for a prefix.
  double weight = 0;
};

struct Ranked {
  double score = 0;
  Xapian::docid did = 0;
  uint64_t date = 0;  // the date order, when ranking by date
};

// Relevance order: higher score first, then lower docid.
inline bool RanksBefore(const Ranked& a, const Ranked& b) {
  return a.score != b.score ? a.score > b.score : a.did < b.did;
}

struct MatchSpec {
  std::vector<QueryWord> words;  // every one must match; empty: all of `allowed`
  // Each phrase lists word indexes that must follow each other in a
  // document's word sequence (document.h).
  std::vector<std::vector<size_t>> phrases;
  // Only these documents may match. Required.
  const Roaring* allowed = nullptr;
  // BM25.
  double avg_length = 1;
  double k1 = 1.2;
  double b = 0.75;
  const std::vector<uint32_t>* lengths = nullptr;  // by docid
  // The common words (null: none), and the Vintage each document was built
  // with (by docid; null when they cannot be trusted, see DocStats: a
  // phrase is then decided by a tracked pair's term when there is one, and
  // otherwise checked in the word sequence).
  const CommonWords* common = nullptr;
  const std::vector<Vintage>* vintages = nullptr;
  // Score bounds by block of documents (null: none). The reader must be at
  // or after the revision the stats describe (as for `vintages`).
  const ScoreBounds* bounds = nullptr;
  // Score and keep the best `page` results that rank after `after` (when
  // set); without `rank`, only find the matching set.
  bool rank = true;
  size_t page = 20;
  bool has_after = false;
  Ranked after;
};

struct MatchResult {
  Roaring matched;
  std::vector<Ranked> page;  // in relevance order
  // Matches that rank after the cursor (all of them without one).
  uint64_t after_count = 0;
  // Matches scored; the others were passed over on their block's bound.
  uint64_t scored = 0;
};

// Throws Xapian::Error from the database (the caller's to translate).
MatchResult Match(const Xapian::Database& db, const MatchSpec& spec);

// BM25's idf, always positive: log(1 + (N - n + 0.5) / (n + 0.5)).
double Idf(double documents, double with_term);

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_MATCHER_H_
