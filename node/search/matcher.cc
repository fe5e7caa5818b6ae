#include "node/search/matcher.h"

#include <algorithm>
#include <cmath>
#include <queue>

#include "absl/strings/string_view.h"
#include "node/search/document.h"

namespace minga::search {
namespace {

// The postings of one word: the union of its terms' lists.
class WordCursor {
 public:
  WordCursor(const Xapian::Database& db, const std::vector<std::string>& terms) {
    for (const std::string& t : terms) {
      Xapian::PostingIterator it = db.postlist_begin(t);
      if (it == db.postlist_end(t)) continue;
      lists_.push_back({t, it, db.postlist_end(t)});
      estimate_ += db.get_termfreq(t);
    }
    Settle();
  }

  bool at_end() const { return did_ == 0; }
  Xapian::docid did() const { return did_; }
  Xapian::doccount estimate() const { return estimate_; }

  // The summed wdf of the terms at did().
  Xapian::termcount wdf() const {
    Xapian::termcount w = 0;
    for (const List& l : lists_) {
      if (l.it != l.end && *l.it == did_) w += l.it.get_wdf();
    }
    return w;
  }
  void Next() {
    for (List& l : lists_) {
      if (l.it != l.end && *l.it == did_) ++l.it;
    }
    Settle();
  }
  void SkipTo(Xapian::docid target) {
    if (did_ >= target) return;
    for (List& l : lists_) {
      if (l.it != l.end && *l.it < target) l.it.skip_to(target);
    }
    Settle();
  }

 private:
  struct List {
    std::string term;
    Xapian::PostingIterator it;
    Xapian::PostingIterator end;
  };
  void Settle() {
    did_ = 0;
    for (const List& l : lists_) {
      if (l.it != l.end && (did_ == 0 || *l.it < did_)) did_ = *l.it;
    }
  }

  std::vector<List> lists_;
  Xapian::docid did_ = 0;
  Xapian::doccount estimate_ = 0;
};

// Whether `sequence` (3-byte word hashes) holds the phrase's words one
// after the other.
bool PhraseHolds(absl::string_view sequence, const std::vector<const QueryWord*>& words) {
  const size_t n = sequence.size() / 3;
  auto at = [&](size_t i) {
    return (static_cast<uint32_t>(static_cast<uint8_t>(sequence[3 * i])) << 16) |
           (static_cast<uint32_t>(static_cast<uint8_t>(sequence[3 * i + 1])) << 8) |
           static_cast<uint8_t>(sequence[3 * i + 2]);
  };
  auto is = [](uint32_t h, const QueryWord* w) {
    return std::find(w->hashes.begin(), w->hashes.end(), h) != w->hashes.end();
  };
  for (size_t start = 0; start + words.size() <= n; ++start) {
    bool all = true;
    for (size_t k = 0; k < words.size() && all; ++k) all = is(at(start + k), words[k]);
    if (all) return true;
  }
  return false;
}

// A bounded heap of the best results after the cursor.
class Page {
 public:
  Page(const MatchSpec& spec) : spec_(spec) {}
  void Offer(double score, Xapian::docid did) {
    const Ranked r{score, did};
    if (spec_.has_after && !RanksBefore(spec_.after, r)) return;
    ++offered_;
    if (heap_.size() < spec_.page) {
      heap_.push_back(r);
      std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
    } else if (!heap_.empty() && RanksBefore(r, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), RanksBefore);
      heap_.back() = r;
      std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
    }
  }
  std::vector<Ranked> Take() {
    std::sort(heap_.begin(), heap_.end(), RanksBefore);
    return std::move(heap_);
  }
  uint64_t offered() const { return offered_; }

 private:
  const MatchSpec& spec_;
  uint64_t offered_ = 0;
  // Max-heap under RanksBefore: the front is the worst kept.
  std::vector<Ranked> heap_;
};

}  // namespace

double Idf(double documents, double with_term) {
  return std::log(1.0 + (documents - with_term + 0.5) / (with_term + 0.5));
}

MatchResult Match(const Xapian::Database& db, const MatchSpec& spec) {
  MatchResult result;
  if (spec.words.empty()) {
    result.matched = *spec.allowed;
    return result;
  }
  std::vector<WordCursor> cursors;
  cursors.reserve(spec.words.size());
  for (const QueryWord& w : spec.words) cursors.emplace_back(db, w.terms);
  // The rarest word leads; the others skip to it.
  std::vector<size_t> order(cursors.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return cursors[a].estimate() < cursors[b].estimate(); });
  Page page(spec);
  std::vector<std::vector<const QueryWord*>> phrases;
  for (const std::vector<size_t>& p : spec.phrases) {
    phrases.emplace_back();
    for (size_t w : p) phrases.back().push_back(&spec.words[w]);
  }
  // Word sequences are read in document order, as a value stream.
  Xapian::ValueIterator sequence = db.valuestream_begin(kSequenceSlot);
  const Xapian::ValueIterator sequence_end = db.valuestream_end(kSequenceSlot);
  std::vector<uint32_t> batch;
  batch.reserve(4096);
  const std::vector<uint32_t>& lengths = *spec.lengths;
  WordCursor& lead = cursors[order[0]];
  bool exhausted = false;
  while (!lead.at_end() && !exhausted) {
    const Xapian::docid candidate = lead.did();
    bool all = true;
    for (size_t k = 1; k < order.size() && all; ++k) {
      WordCursor& c = cursors[order[k]];
      c.SkipTo(candidate);
      if (c.at_end()) {
        exhausted = true;  // no later document has every word
        all = false;
      } else if (c.did() != candidate) {
        lead.SkipTo(c.did());
        all = false;
      }
    }
    if (!all) continue;
    bool ok = spec.allowed->contains(candidate);
    if (ok && !phrases.empty()) {
      if (sequence != sequence_end && sequence.get_docid() < candidate) sequence.skip_to(candidate);
      const bool has = sequence != sequence_end && sequence.get_docid() == candidate;
      const std::string words = has ? *sequence : std::string();
      for (size_t p = 0; ok && p < phrases.size(); ++p) ok = PhraseHolds(words, phrases[p]);
    }
    if (ok) {
      batch.push_back(candidate);
      if (batch.size() == batch.capacity()) {
        result.matched.addMany(batch.size(), batch.data());
        batch.clear();
      }
    }
    if (ok && spec.rank) {
      const double length = candidate < lengths.size() ? lengths[candidate] : spec.avg_length;
      const double norm = spec.k1 * (1 - spec.b + spec.b * length / spec.avg_length);
      double score = 0;
      for (size_t i = 0; i < cursors.size(); ++i) {
        const double wdf = cursors[i].wdf();
        score += spec.words[i].weight * wdf * (spec.k1 + 1) / (wdf + norm);
      }
      page.Offer(score, candidate);
    }
    lead.Next();
  }
  result.matched.addMany(batch.size(), batch.data());
  result.page = page.Take();
  result.after_count = page.offered();
  return result;
}

}  // namespace minga::search
