#include "node/search/matcher.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <queue>

#include "absl/strings/string_view.h"
#include "node/search/common_words.h"
#include "node/search/document.h"

namespace minga::search {
namespace {

// A sorted stream of docids the conjunction walks: a word's postings, or
// the documents the filters allow.
class DocCursor {
 public:
  virtual ~DocCursor() = default;
  bool at_end() const { return did_ == 0; }
  Xapian::docid did() const { return did_; }
  // How many documents it may yield (for choosing who leads).
  virtual uint64_t estimate() const = 0;
  virtual void Next() = 0;
  // To the first docid at or after `target`.
  virtual void SkipTo(Xapian::docid target) = 0;

 protected:
  Xapian::docid did_ = 0;  // 0: at the end
};

// The documents the filters allow. As a follower it is asked mostly
// about documents it holds (every one, without filters): a membership test
// answers those, and the iterator moves only to find the next one.
class AllowedCursor final : public DocCursor {
 public:
  explicit AllowedCursor(const Roaring& allowed) : allowed_(allowed), size_(allowed.cardinality()) {
    roaring_init_iterator(&allowed.roaring, &it_);
    Settle();
  }
  uint64_t estimate() const override { return size_; }
  void Next() override {
    if (!moved_) roaring_move_uint32_iterator_equalorlarger(&it_, did_);
    moved_ = true;
    roaring_advance_uint32_iterator(&it_);
    Settle();
  }
  void SkipTo(Xapian::docid target) override {
    if (did_ >= target || at_end()) return;
    if (allowed_.contains(target)) {
      did_ = target;
      moved_ = false;
      return;
    }
    roaring_move_uint32_iterator_equalorlarger(&it_, target);
    moved_ = true;
    Settle();
  }

 private:
  // did_ from where the iterator is.
  void Settle() { did_ = it_.has_value ? it_.current_value : 0; }

  const Roaring& allowed_;
  roaring_uint32_iterator_t it_;
  bool moved_ = true;  // false: did_ is right, the iterator behind it
  uint64_t size_;
};

// The documents any of several cursors holds.
class UnionCursor final : public DocCursor {
 public:
  explicit UnionCursor(std::vector<DocCursor*> parts) : parts_(std::move(parts)) {
    for (const DocCursor* p : parts_) estimate_ += p->estimate();
    Settle();
  }
  uint64_t estimate() const override { return estimate_; }
  void Next() override {
    for (DocCursor* p : parts_) {
      if (!p->at_end() && p->did() == did_) p->Next();
    }
    Settle();
  }
  void SkipTo(Xapian::docid target) override {
    if (did_ >= target) return;
    for (DocCursor* p : parts_) {
      if (!p->at_end() && p->did() < target) p->SkipTo(target);
    }
    Settle();
  }

 private:
  void Settle() {
    did_ = 0;
    for (const DocCursor* p : parts_) {
      if (!p->at_end() && (did_ == 0 || p->did() < did_)) did_ = p->did();
    }
  }

  std::vector<DocCursor*> parts_;
  uint64_t estimate_ = 0;
};

// The postings of one word: the union of its terms' lists.
class WordCursor final : public DocCursor {
 public:
  WordCursor(const Xapian::Database& db, const std::vector<std::string>& terms) {
    for (size_t i = 0; i < terms.size(); ++i) {
      const std::string& t = terms[i];
      Xapian::PostingIterator it = db.postlist_begin(t);
      if (it == db.postlist_end(t)) continue;
      lists_.push_back({i, it, db.postlist_end(t)});
      estimate_ += db.get_termfreq(t);
    }
    Settle();
  }

  uint64_t estimate() const override { return estimate_; }

  // The summed wdf of the terms at did().
  Xapian::termcount wdf() const {
    Xapian::termcount w = 0;
    for (const List& l : lists_) {
      if (l.it != l.end && *l.it == did_) w += l.it.get_wdf();
    }
    return w;
  }
  // Which of the terms (bit i: terms[i], the first 64) are at did().
  uint64_t TermsAt() const {
    uint64_t mask = 0;
    for (const List& l : lists_) {
      if (l.index < 64 && l.it != l.end && *l.it == did_) mask |= uint64_t{1} << l.index;
    }
    return mask;
  }
  void Next() override {
    for (List& l : lists_) {
      if (l.it != l.end && *l.it == did_) ++l.it;
    }
    Settle();
  }
  void SkipTo(Xapian::docid target) override {
    if (did_ >= target) return;
    for (List& l : lists_) {
      if (l.it != l.end && *l.it < target) l.it.skip_to(target);
    }
    Settle();
  }

 private:
  struct List {
    size_t index;  // in the terms given
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
  uint64_t estimate_ = 0;
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

// Two words of a phrase that must follow each other, and what the pair
// terms of their terms (each stem of one with each of the other) say.
class PhrasePair {
 public:
  enum class Says { kThere, kNotThere, kUnknown };

  PhrasePair(const Xapian::Database& db, const MatchSpec& spec, size_t a, size_t b)
      : first_(a), second_(b) {
    const QueryWord& x = spec.words[a];
    const QueryWord& y = spec.words[b];
    with_.assign(x.terms.size(), 0);
    if (spec.common == nullptr || x.terms.size() > 64 || y.terms.size() > 64) {
      unknowable_ = true;
      return;
    }
    const CommonWords& common = *spec.common;
    auto stem = [](const std::string& term) {
      return absl::string_view(term).substr(kStemPrefix.size());
    };
    for (const std::string& t : y.terms) {
      if (common.RankOf(stem(t)) == CommonWords::kNotCommon) undecided_terms_.push_back(t);
    }
    for (size_t i = 0; i < x.terms.size(); ++i) {
      const uint32_t ri = common.RankOf(stem(x.terms[i]));
      if (ri == CommonWords::kNotCommon) {
        undecided_terms_.push_back(x.terms[i]);
        continue;
      }
      for (size_t j = 0; j < y.terms.size(); ++j) {
        const uint32_t rj = common.RankOf(stem(y.terms[j]));
        if (rj == CommonWords::kNotCommon) continue;
        with_[i] |= uint64_t{1} << j;
        Combo c;
        c.i = i;
        c.j = j;
        c.tracked = common.PairRankOf(stem(x.terms[i]), stem(y.terms[j]));
        c.words_needed = std::max(ri, rj) + 1;
        words_needed_ = std::max(words_needed_, c.words_needed);
        if (c.tracked != CommonWords::kNotCommon) {
          own_terms_.push_back(CommonWords::TrackedTerm(c.tracked));
          c.own.emplace(db, std::vector<std::string>{own_terms_.back()});
        }
        undecided_terms_.push_back(CommonWords::BucketTerm(stem(x.terms[i]), stem(y.terms[j])));
        c.bucket.emplace(db, std::vector<std::string>{undecided_terms_.back()});
        combos_.push_back(std::move(c));
      }
    }
  }

  // Whether document `did` holds the two words in a row, as far as its
  // pair terms say. `vintage`: what it was built with (null: unknown).
  Says At(Xapian::docid did, const Vintage* vintage, const std::vector<WordCursor>& cursors) {
    for (Combo& c : combos_) {
      if (c.own.has_value() && At(&*c.own, did)) return Says::kThere;
    }
    if (vintage == nullptr || unknowable_) return Says::kUnknown;
    const uint64_t xs = cursors[first_].TermsAt();
    const uint64_t ys = cursors[second_].TermsAt();
    // Two stems it holds of which one is not common: no term can say.
    for (size_t i = 0; i < with_.size(); ++i) {
      if ((xs >> i & 1) && (ys & ~with_[i]) != 0) return Says::kUnknown;
    }
    for (Combo& c : combos_) {
      if (!(xs >> c.i & 1) || !(ys >> c.j & 1)) continue;
      // Tracked when it was built: its own term, not there, says no.
      if (c.tracked != CommonWords::kNotCommon && vintage->pairs > c.tracked) continue;
      // Both stems common when it was built: no bucket term says no.
      if (vintage->words >= c.words_needed && !At(&*c.bucket, did)) continue;
      return Says::kUnknown;
    }
    return Says::kNotThere;
  }

  // For a lead by the pair terms (MatchLedByPair). A document holding one
  // of own_terms() holds the two words in a row. At() can say kNotThere of
  // any other unless it holds one of undecided_terms() (a bucket, or a
  // term of either word that is not common) or was built with fewer than
  // words_needed() common words.
  bool unknowable() const { return unknowable_; }
  const std::vector<std::string>& own_terms() const { return own_terms_; }
  const std::vector<std::string>& undecided_terms() const { return undecided_terms_; }
  uint32_t words_needed() const { return words_needed_; }

 private:
  struct Combo {
    size_t i = 0;  // term indexes in the two words
    size_t j = 0;
    uint32_t tracked = CommonWords::kNotCommon;  // the pair's place
    uint32_t words_needed = 0;                   // the words' list length that gives it a term
    std::optional<WordCursor> own;
    std::optional<WordCursor> bucket;
  };

  static bool At(WordCursor* c, Xapian::docid did) {
    c->SkipTo(did);
    return !c->at_end() && c->did() == did;
  }

  size_t first_;
  size_t second_;
  std::vector<Combo> combos_;
  // with_[i]: the terms j of the second word that term i of the first has
  // a combination with (both common).
  std::vector<uint64_t> with_;
  bool unknowable_ = false;
  std::vector<std::string> own_terms_;
  std::vector<std::string> undecided_terms_;
  uint32_t words_needed_ = 0;
};

// The query's phrases, judged in each candidate: by pair terms where they
// say, else in its word sequence (read in document order, as a value
// stream).
class Phrases {
 public:
  Phrases(const Xapian::Database& db, const MatchSpec& spec)
      : spec_(spec),
        sequence_(db.valuestream_begin(kSequenceSlot)),
        sequence_end_(db.valuestream_end(kSequenceSlot)) {
    for (const std::vector<size_t>& p : spec.phrases) {
      words_.emplace_back();
      pairs_.emplace_back();
      for (size_t k = 0; k < p.size(); ++k) {
        words_.back().push_back(&spec.words[p[k]]);
        if (k > 0) pairs_.back().emplace_back(db, spec, p[k - 1], p[k]);
      }
    }
    check_.resize(words_.size());
  }

  // Whether `did`, which holds every word (the cursors are at it), holds
  // every phrase.
  bool Hold(Xapian::docid did, const std::vector<WordCursor>& cursors) {
    if (words_.empty()) return true;
    Vintage vintage;
    const bool known = spec_.vintages != nullptr;
    if (known && did < spec_.vintages->size()) vintage = (*spec_.vintages)[did];
    bool any_check = false;
    for (size_t p = 0; p < words_.size(); ++p) {
      // A phrase holds when each two words in a row do; a tracked pair's
      // term settles two words alone.
      bool all_there = true;
      for (PhrasePair& pair : pairs_[p]) {
        const PhrasePair::Says says = pair.At(did, known ? &vintage : nullptr, cursors);
        if (says == PhrasePair::Says::kNotThere) return false;
        all_there = all_there && says == PhrasePair::Says::kThere;
      }
      check_[p] = !(all_there && pairs_[p].size() == 1);
      any_check = any_check || check_[p];
    }
    if (!any_check) return true;
    if (sequence_ != sequence_end_ && sequence_.get_docid() < did) sequence_.skip_to(did);
    const bool has = sequence_ != sequence_end_ && sequence_.get_docid() == did;
    const std::string sequence = has ? *sequence_ : std::string();
    for (size_t p = 0; p < words_.size(); ++p) {
      if (check_[p] && !PhraseHolds(sequence, words_[p])) return false;
    }
    return true;
  }

 private:
  const MatchSpec& spec_;
  std::vector<std::vector<const QueryWord*>> words_;
  std::vector<std::vector<PhrasePair>> pairs_;
  std::vector<bool> check_;  // by phrase, for the document at hand
  Xapian::ValueIterator sequence_;
  const Xapian::ValueIterator sequence_end_;
};

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
  // Whether no document scoring at most `bound` can enter the page or
  // rank before the cursor (it is later in docid order than every one
  // kept, so a tie ranks after them): it only counts (Pass).
  bool Passes(double bound) const {
    const double b = bound * (1 + 1e-9);  // room for rounding
    if (spec_.has_after && !(b < spec_.after.score)) return false;
    return spec_.page == 0 || (heap_.size() >= spec_.page && b <= heap_.front().score);
  }
  void Pass() { ++offered_; }
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

// BM25 of the document the cursors are at.
double Score(const MatchSpec& spec, const std::vector<WordCursor>& cursors, Xapian::docid did) {
  const std::vector<uint32_t>& lengths = *spec.lengths;
  const double length = did < lengths.size() ? lengths[did] : spec.avg_length;
  const double norm = spec.k1 * (1 - spec.b + spec.b * length / spec.avg_length);
  double score = 0;
  for (size_t i = 0; i < cursors.size(); ++i) {
    const double wdf = cursors[i].wdf();
    score += spec.words[i].weight * wdf * (spec.k1 + 1) / (wdf + norm);
  }
  return score;
}

// An upper bound of the scores in a block of documents: each word's terms'
// largest wdf there, with the block's shortest length. A word with a term
// that has no bound there adds the most any wdf can (weight * (k1 + 1)).
class BlockBound {
 public:
  explicit BlockBound(const MatchSpec& spec) : spec_(spec) {
    if (spec.bounds == nullptr || !spec.rank) return;
    for (const QueryWord& w : spec.words) {
      terms_.emplace_back();
      for (const std::string& t : w.terms) terms_.back().push_back(spec.bounds->term(t));
    }
  }

  double Of(uint32_t block) const {
    double bound = 0;
    for (size_t w = 0; w < spec_.words.size(); ++w) {
      const double most = spec_.words[w].weight * (spec_.k1 + 1);
      std::optional<uint32_t> wdf = terms_.empty() ? std::nullopt : WordWdf(terms_[w], block);
      if (!wdf.has_value()) {
        bound += most;
        continue;
      }
      const std::vector<uint32_t>& mins = *spec_.bounds->min_lengths;
      const uint32_t min = block < mins.size() ? mins[block] : UINT32_MAX;
      const double length = min == UINT32_MAX ? 0 : min;  // none known: the shortest
      const double norm = spec_.k1 * (1 - spec_.b + spec_.b * length / spec_.avg_length);
      bound += spec_.words[w].weight * *wdf * (spec_.k1 + 1) / (*wdf + norm);
    }
    return bound;
  }

 private:
  // The most a word's wdf can be in the block, when every term bounds it.
  std::optional<uint32_t> WordWdf(const std::vector<std::shared_ptr<const TermBounds>>& terms,
                                  uint32_t block) const {
    const std::vector<uint32_t>& stamps = *spec_.bounds->stamps;
    const uint32_t stamp = block < stamps.size() ? stamps[block] : 0;
    uint32_t wdf = 0;
    for (const std::shared_ptr<const TermBounds>& t : terms) {
      if (t == nullptr || block >= t->max_wdf.size() || stamp > t->commits ||
          t->max_wdf[block] == kWdfUnbounded) {
        return std::nullopt;
      }
      wdf += t->max_wdf[block];
    }
    return wdf;
  }

  const MatchSpec& spec_;
  std::vector<std::vector<std::shared_ptr<const TermBounds>>> terms_;  // by word, by term
};

// Collects matches in batches (Roaring's addMany is much faster than add).
class MatchedSet {
 public:
  explicit MatchedSet(Roaring* out) : out_(out) { batch_.reserve(4096); }
  void Add(Xapian::docid did) {
    batch_.push_back(did);
    if (batch_.size() == batch_.capacity()) Flush();
  }
  void Flush() {
    out_->addMany(batch_.size(), batch_.data());
    batch_.clear();
  }

 private:
  Roaring* out_;
  std::vector<uint32_t> batch_;
};

// Allowed documents fewer than the pair's own postings by this factor lead
// the generic match instead.
constexpr uint64_t kFewAllowed = 64;

// The query is one phrase of two words, with a tracked pair: whether to
// lead by the pair terms (see the header), and with which pair.
std::optional<PhrasePair> PairToLead(const Xapian::Database& db, const MatchSpec& spec) {
  if (spec.common == nullptr || spec.vintages == nullptr || spec.words.size() != 2 ||
      spec.phrases.size() != 1 || spec.phrases[0].size() != 2 ||
      spec.phrases[0][0] == spec.phrases[0][1]) {
    return std::nullopt;
  }
  PhrasePair pair(db, spec, spec.phrases[0][0], spec.phrases[0][1]);
  if (pair.unknowable() || pair.own_terms().empty()) return std::nullopt;
  // Few allowed documents: leading with them, as Match does, is cheaper
  // than reading the pair's postings and scanning the vintages.
  uint64_t own = 0;
  for (const std::string& t : pair.own_terms()) own += db.get_termfreq(t);
  if (spec.allowed->cardinality() * kFewAllowed < own) return std::nullopt;
  return pair;
}

// The documents among `allowed` that hold one of `terms`: the postings
// walked when the allowed are many, else asked about each allowed one.
Roaring AllowedHolding(const Xapian::Database& db, const std::vector<std::string>& terms,
                       const Roaring& allowed) {
  WordCursor held(db, terms);
  Roaring out;
  std::vector<uint32_t> ids;
  if (allowed.cardinality() * 8 < held.estimate()) {
    for (const uint32_t d : allowed) {
      held.SkipTo(d);
      if (held.at_end()) break;
      if (held.did() == d) ids.push_back(d);
    }
    out.addMany(ids.size(), ids.data());
    return out;
  }
  MatchedSet all(&out);
  for (const std::string& t : terms) {
    for (auto it = db.postlist_begin(t); it != db.postlist_end(t); ++it) all.Add(*it);
  }
  all.Flush();
  out &= allowed;
  return out;
}

// The documents built with fewer than `words` common words, and those the
// vintages do not know.
Roaring BuiltBefore(const Xapian::Database& db, const std::vector<Vintage>& vintages,
                    uint32_t words) {
  Roaring out;
  // Past the last document the vintages are padding, not documents.
  const uint64_t last = db.get_lastdocid();
  const uint64_t known = std::min<uint64_t>(vintages.size(), last + 1);
  std::vector<uint32_t> ids;
  for (Xapian::docid d = 1; d < known; ++d) {
    if (vintages[d].words < words) ids.push_back(d);
  }
  out.addMany(ids.size(), ids.data());
  const uint64_t first_unknown = std::max<uint64_t>(1, known);
  if (last >= first_unknown) out.addRange(first_unknown, last + 1);
  return out;
}

std::vector<WordCursor> WordCursors(const Xapian::Database& db, const MatchSpec& spec) {
  std::vector<WordCursor> cursors;
  cursors.reserve(spec.words.size());
  for (const QueryWord& w : spec.words) cursors.emplace_back(db, w.terms);
  return cursors;
}

MatchResult MatchLedByPair(const Xapian::Database& db, const MatchSpec& spec,
                           const PhrasePair& pair) {
  MatchResult result;
  const Roaring& allowed = *spec.allowed;
  // What the pairs' own terms decide, as bitmaps.
  result.matched = AllowedHolding(db, pair.own_terms(), allowed);
  // What they cannot, checked as Match checks any document.
  {
    std::vector<WordCursor> cursors = WordCursors(db, spec);
    WordCursor undecided(db, pair.undecided_terms());
    const Roaring built_before = BuiltBefore(db, *spec.vintages, pair.words_needed());
    AllowedCursor old(built_before);
    UnionCursor candidates({&undecided, &old});
    Phrases phrases(db, spec);
    std::vector<uint32_t> found;
    auto holds = [&](Xapian::docid d) {
      for (WordCursor& c : cursors) {
        c.SkipTo(d);
        if (c.at_end() || c.did() != d) return false;
      }
      return phrases.Hold(d, cursors);
    };
    for (; !candidates.at_end(); candidates.Next()) {
      const Xapian::docid d = candidates.did();
      if (allowed.contains(d) && !result.matched.contains(d) && holds(d)) found.push_back(d);
    }
    result.matched.addMany(found.size(), found.data());
  }
  if (!spec.rank) return result;
  // Ranked in docid order; the words' wdf read only in the blocks whose
  // bound lets a match enter the page.
  std::vector<WordCursor> cursors = WordCursors(db, spec);
  Page page(spec);
  const BlockBound bound(spec);
  uint32_t bound_block = UINT32_MAX;
  double block_bound = 0;
  for (const uint32_t d : result.matched) {
    const uint32_t block = BlockOf(d);
    if (block != bound_block) {
      bound_block = block;
      block_bound = bound.Of(block);
    }
    if (page.Passes(block_bound)) {
      page.Pass();
      continue;
    }
    for (WordCursor& c : cursors) c.SkipTo(d);
    page.Offer(Score(spec, cursors, d), d);
    ++result.scored;
  }
  result.page = page.Take();
  result.after_count = page.offered();
  return result;
}

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
  if (std::optional<PhrasePair> pair = PairToLead(db, spec)) {
    return MatchLedByPair(db, spec, *pair);
  }
  std::vector<WordCursor> cursors = WordCursors(db, spec);
  // The allowed documents are one more cursor of the conjunction. The
  // rarest cursor leads; the others skip to it, and it to any that
  // overshoots.
  AllowedCursor allowed(*spec.allowed);
  std::vector<DocCursor*> order;
  for (WordCursor& c : cursors) order.push_back(&c);
  order.push_back(&allowed);
  std::stable_sort(order.begin(), order.end(), [](const DocCursor* a, const DocCursor* b) {
    return a->estimate() < b->estimate();
  });
  Page page(spec);
  Phrases phrases(db, spec);
  MatchedSet matched(&result.matched);
  DocCursor& lead = *order[0];
  bool exhausted = false;
  while (!lead.at_end() && !exhausted) {
    const Xapian::docid candidate = lead.did();
    bool all = true;
    for (size_t k = 1; k < order.size() && all; ++k) {
      DocCursor& c = *order[k];
      c.SkipTo(candidate);
      if (c.at_end()) {
        exhausted = true;  // no later document is in every cursor
        all = false;
      } else if (c.did() != candidate) {
        lead.SkipTo(c.did());
        all = false;
      }
    }
    if (!all) continue;
    if (phrases.Hold(candidate, cursors)) {
      matched.Add(candidate);
      if (spec.rank) {
        page.Offer(Score(spec, cursors, candidate), candidate);
        ++result.scored;
      }
    }
    lead.Next();
  }
  matched.Flush();
  result.page = page.Take();
  result.after_count = page.offered();
  return result;
}

}  // namespace minga::search
