// Phrases through pair terms: whatever the common words were when each
// document was built, a phrase matches exactly the documents whose word
// sequence holds it (the answer word-by-word checking gives, and that of a
// plain reading of the texts).
#include "node/search/matcher.h"

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/search/analyzer.h"
#include "node/search/common_words.h"
#include "node/search/document.h"
#include "node/search/score_bounds.h"

namespace minga::search {
namespace {

namespace fs = std::filesystem;

// Few words, so that pairs repeat, of unequal frequencies, so that they
// turn common at different times (or never).
const std::vector<std::string> kWords = {"violencia", "contra", "mujeres", "ruta",     "atencion",
                                         "salud",     "guia",   "de",      "protocolo"};
const std::vector<int> kWeights = {30, 20, 12, 8, 5, 3, 2, 10, 1};

std::string Sentence(std::mt19937* rng, int words, const char* separator = " ") {
  std::discrete_distribution<size_t> pick(kWeights.begin(), kWeights.end());
  std::vector<std::string> out;
  for (int i = 0; i < words; ++i) out.push_back(kWords[pick(*rng)]);
  return absl::StrJoin(out, separator);
}

// A topic of one to three of the same words, as a kebab-case tag, for one
// document in four (topic words count towards a word's frequency too).
std::vector<std::string> Topics(std::mt19937* rng) {
  if ((*rng)() % 4 != 0) return {};
  return {Sentence(rng, 1 + static_cast<int>((*rng)() % 3), "-")};
}

class PhrasePairsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/matcher-" + std::to_string(::getpid());
    fs::remove_all(dir_);
    db_ = std::make_unique<Xapian::WritableDatabase>(dir_, Xapian::DB_CREATE_OR_OVERWRITE);
  }
  void TearDown() override {
    db_.reset();
    fs::remove_all(dir_);
  }

  // Indexes material `n` (again, when it exists) with the list as it is.
  // The publisher is indexed unstemmed: its words are terms of their own,
  // rarely common, beside the stems of the same words.
  void Index(int n, const std::string& title, const std::string& summary,
             const std::string& publisher = "", const std::string& language = "es",
             const std::vector<std::string>& topics = {}) {
    v1::Material m;
    m.set_title(title);
    m.set_title_language(language);
    m.set_summary(summary);
    m.add_languages(language);
    if (!publisher.empty()) m.add_publisher(publisher);
    for (const std::string& t : topics) m.add_topics(t);
    const std::string id = absl::StrCat("o:m", n);
    IndexedDocument built = BuildDocument(id, m, 1, &stemmers_, &common_);
    const Xapian::docid did = db_->replace_document(absl::StrCat(kIdPrefix, id), built.doc);
    if (vintages_.size() <= did) vintages_.resize(did + 1);
    if (lengths_.size() <= did) lengths_.resize(did + 1);
    vintages_[did] = built.vintage;
    lengths_[did] = built.length;
    texts_[did] = {title, summary, publisher, topics};
    all_.add(did);
  }

  // The documents whose title or summary (in Spanish), publisher (as
  // written) or a topic (in English) holds the words one after the other,
  // stop words left out: read from the texts themselves.
  std::set<Xapian::docid> Expected(const std::vector<std::string>& phrase, bool topics = true) {
    std::set<Xapian::docid> out;
    for (const auto& [did, fields] : texts_) {
      std::vector<std::pair<std::string, const char*>> all = {
          {fields.title, "es"}, {fields.summary, "es"}, {fields.publisher, ""}};
      for (const std::string& t : fields.topics) {
        if (topics) all.emplace_back(t, "en");
      }
      for (const auto& [field, language] : all) {
        std::vector<std::string> want;
        for (const std::string& w : phrase) want.push_back(stemmers_.Stem(w, language));
        std::vector<std::string> seq;
        for (const std::string& w : SplitWords(field)) {
          if (!IsStopWord(w)) seq.push_back(stemmers_.Stem(w, language));
        }
        for (size_t s = 0; s + want.size() <= seq.size(); ++s) {
          if (std::equal(want.begin(), want.end(), seq.begin() + s)) out.insert(did);
        }
      }
    }
    return out;
  }

  // A query of these words, one phrase when `phrase`, with the pair terms
  // trusted when `pairs`; each word weighs a little more than the last, so
  // that scores differ. Matches every document until `allowed` is set.
  MatchSpec Query(const std::vector<std::string>& words, bool phrase, bool pairs) {
    db_->commit();
    MatchSpec spec;
    spec.allowed = &all_;
    spec.lengths = &lengths_;
    std::vector<size_t> indexes;
    for (const std::string& w : words) {
      QueryWord q;
      // As a query word: as written, and its stems in several languages.
      std::set<std::string> terms{absl::StrCat(kStemPrefix, w)};
      for (const char* l : {"es", "pt", "en"}) {
        terms.insert(absl::StrCat(kStemPrefix, stemmers_.Stem(w, l)));
      }
      q.terms.assign(terms.begin(), terms.end());
      for (const std::string& t : q.terms) {
        q.hashes.push_back(WordHash(absl::string_view(t).substr(kStemPrefix.size())));
      }
      q.weight = 1.0 + 0.25 * static_cast<double>(indexes.size());
      indexes.push_back(spec.words.size());
      spec.words.push_back(std::move(q));
    }
    if (phrase) spec.phrases = {indexes};
    if (pairs) {
      spec.common = &common_;
      spec.vintages = &vintages_;
    }
    return spec;
  }

  // The phrase matched with the pair terms trusted (or not at all).
  std::set<Xapian::docid> Matched(const std::vector<std::string>& phrase, bool pairs) {
    MatchSpec spec = Query(phrase, true, pairs);
    spec.rank = false;
    const MatchResult r = Match(*db_, spec);
    return std::set<Xapian::docid>(r.matched.begin(), r.matched.end());
  }

  std::string dir_;
  std::unique_ptr<Xapian::WritableDatabase> db_;
  Stemmers stemmers_;
  CommonWords common_;
  std::vector<Vintage> vintages_;
  std::vector<uint32_t> lengths_;
  struct Texts {
    std::string title, summary, publisher;
    std::vector<std::string> topics;
  };
  std::map<Xapian::docid, Texts> texts_;
  Roaring all_;
};

TEST_F(PhrasePairsTest, PairTermsGiveTheSameMatchesAsTheWordSequences) {
  std::mt19937 rng(7);
  // Built in rounds: words turn common between them, and some documents
  // are rebuilt with the longer list, so the index holds every vintage.
  int next = 0;
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 40; ++i) {
      Index(next++, Sentence(&rng, 4), Sentence(&rng, 12), i % 4 == 0 ? Sentence(&rng, 3) : "",
            "es", Topics(&rng));
    }
    for (int i = 0; i < 10; ++i) {
      Index(static_cast<int>(rng() % next), Sentence(&rng, 4), Sentence(&rng, 12), "", "es",
            Topics(&rng));
    }
    // A falling share of the documents: more words turn common each round.
    common_.Promote(db_.get(), static_cast<uint32_t>(next * (0.9 - 0.12 * round)));
  }
  // Words turned common at several times, and some never did; some of
  // their pairs are tracked, some are not.
  const Vintage now = common_.vintage();
  ASSERT_GE(now.words, 3u);
  ASSERT_LT(now.words, kWords.size() - 1);
  ASSERT_GE(now.pairs, 1u);
  std::set<std::pair<uint16_t, uint16_t>> vintages;
  for (size_t d = 1; d < vintages_.size(); ++d) {
    vintages.insert({vintages_[d].words, vintages_[d].pairs});
  }
  ASSERT_GE(vintages.size(), 3u);
  size_t tracked = 0, buckets = 0;
  for (auto t = db_->allterms_begin(std::string(kPairPrefix));
       t != db_->allterms_end(std::string(kPairPrefix)); ++t) {
    const uint32_t code = static_cast<uint8_t>((*t)[1]) << 8 | static_cast<uint8_t>((*t)[2]);
    ++(code < CommonWords::kMaxPairs ? tracked : buckets);
  }
  EXPECT_GT(tracked, 0u);
  EXPECT_GT(buckets, 0u);

  size_t checked = 0;
  size_t in_topics_only = 0;
  for (const std::string& a : kWords) {
    for (const std::string& b : kWords) {
      if (IsStopWord(a) || IsStopWord(b)) continue;
      const std::vector<std::string> phrase = {a, b};
      const std::set<Xapian::docid> expected = Expected(phrase);
      in_topics_only += expected.size() - Expected(phrase, false).size();
      EXPECT_EQ(Matched(phrase, true), expected) << a << " " << b;
      EXPECT_EQ(Matched(phrase, false), expected) << a << " " << b;
      for (const char* c : {"salud", "contra"}) {
        const std::vector<std::string> three = {a, b, c};
        EXPECT_EQ(Matched(three, true), Expected(three)) << a << " " << b << " " << c;
      }
      checked += expected.size();
    }
  }
  EXPECT_GT(checked, 100u);
  EXPECT_GT(in_topics_only, 10u);
}

TEST_F(PhrasePairsTest, WordsAndPairsTurnCommonOnlyInEnoughDocuments) {
  auto stem = [&](const char* w) { return stemmers_.Stem(w, "es"); };
  for (int i = 0; i < 20; ++i) Index(i, "ruta de atencion", i < 5 ? "protocolo" : "guia");
  EXPECT_FALSE(common_.Promote(db_.get(), 21));
  EXPECT_EQ(common_.vintage().words, 0u);
  // Now in 25 documents; "guia" in 20, "protocolo" in 5.
  for (int i = 20; i < 25; ++i) Index(i, "ruta de atencion", "guia");
  EXPECT_TRUE(common_.Promote(db_.get(), 21));
  EXPECT_EQ(common_.vintage().words, 2u);
  EXPECT_NE(common_.RankOf(stem("ruta")), CommonWords::kNotCommon);
  EXPECT_NE(common_.RankOf(stem("atencion")), CommonWords::kNotCommon);
  EXPECT_EQ(common_.RankOf(stem("guia")), CommonWords::kNotCommon);
  EXPECT_EQ(common_.RankOf(stem("protocolo")), CommonWords::kNotCommon);
  // Their pair has a bucket term until it is frequent enough to be tracked.
  Index(25, "ruta atencion", "");
  const std::string bucket = CommonWords::BucketTerm(stem("ruta"), stem("atencion"));
  EXPECT_EQ(db_->get_termfreq(bucket), 1u);
  EXPECT_EQ(common_.PairRankOf(stem("ruta"), stem("atencion")), CommonWords::kNotCommon);
  for (int i = 26; i < 26 + static_cast<int>(CommonWords::kPairMinCount); ++i) {
    Index(i, "ruta de atencion", "");
  }
  EXPECT_TRUE(common_.Promote(db_.get(), 21));
  const uint32_t rank = common_.PairRankOf(stem("ruta"), stem("atencion"));
  ASSERT_NE(rank, CommonWords::kNotCommon);
  Index(40, "ruta atencion", "");
  EXPECT_EQ(db_->get_termfreq(CommonWords::TrackedTerm(rank)), 1u);
  EXPECT_EQ(vintages_.back().pairs, common_.vintage().pairs);
  EXPECT_EQ(vintages_.back().words, common_.vintage().words);
  // The lists travel in the metadata, in rank order.
  db_->commit();
  const CommonWords loaded = CommonWords::Load(*db_);
  EXPECT_EQ(loaded.vintage().words, common_.vintage().words);
  EXPECT_EQ(loaded.vintage().pairs, common_.vintage().pairs);
  EXPECT_EQ(loaded.RankOf(stem("ruta")), common_.RankOf(stem("ruta")));
  EXPECT_EQ(loaded.PairRankOf(stem("ruta"), stem("atencion")), rank);
}

// After a large window of documents, a stem seen in few of them is not
// looked up, however frequent in the index; it joins once a later window
// sees it often enough.
TEST_F(PhrasePairsTest, AStemRareInALargeWindowWaitsForALaterOne) {
  auto stem = [&](const char* w) { return stemmers_.Stem(w, "es"); };
  for (int i = 0; i < 100; ++i) Index(i, "protocolo", "");
  EXPECT_FALSE(common_.Promote(db_.get(), 1000));
  // 300 documents, three of them with "protocolo" (in 103 of 400 now).
  const int window = static_cast<int>(CommonWords::kLookupWindow) + 100;
  for (int i = 100; i < 100 + window; ++i) Index(i, "ruta", i < 103 ? "protocolo" : "guia");
  EXPECT_TRUE(common_.Promote(db_.get(), 40));
  EXPECT_NE(common_.RankOf(stem("ruta")), CommonWords::kNotCommon);
  EXPECT_NE(common_.RankOf(stem("guia")), CommonWords::kNotCommon);
  EXPECT_EQ(common_.RankOf(stem("protocolo")), CommonWords::kNotCommon);
  // A small window looks up every stem it saw.
  for (int i = 0; i < 3; ++i) Index(1000 + i, "protocolo", "");
  EXPECT_TRUE(common_.Promote(db_.get(), 40));
  EXPECT_NE(common_.RankOf(stem("protocolo")), CommonWords::kNotCommon);
}

TEST_F(PhrasePairsTest, APairSharingAnotherPairsBucketIsCheckedWordByWord) {
  // Two pairs of made-up words (left unstemmed) with one bucket term.
  std::map<std::string, std::pair<std::string, std::string>> seen;
  std::pair<std::string, std::string> ab, cd;
  for (int i = 0; ab.first.empty(); ++i) {
    const std::string x = absl::StrCat("w", i / 64), y = absl::StrCat("v", i % 64);
    auto [it, fresh] = seen.try_emplace(CommonWords::BucketTerm(x, y), x, y);
    if (!fresh && it->second.first != x && it->second.second != y) {
      ab = {x, y};
      cd = it->second;
    }
  }
  const std::string all = absl::StrJoin({ab.first, ab.second, cd.first, cd.second}, " ");
  for (int i = 0; i < 4; ++i) Index(i, all, "", "", "");
  ASSERT_TRUE(common_.Promote(db_.get(), 4));
  // c and d in a row; a and b apart. Its bucket term is the one "a b" has.
  Index(10, absl::StrCat(ab.first, " zz ", ab.second, " ", cd.first, " ", cd.second), "", "", "");
  ASSERT_EQ(common_.PairRankOf(ab.first, ab.second), CommonWords::kNotCommon);
  const Xapian::docid did = *db_->postlist_begin("Qo:m10");
  const std::vector<std::string> phrase = {ab.first, ab.second};
  EXPECT_EQ(Matched(phrase, true).count(did), 0u);
  EXPECT_EQ(Matched({cd.first, cd.second}, true).count(did), 1u);
}

// The allowed documents join the words' conjunction, and lead it when they
// are fewer than the rarest word's: whatever they are, a search finds the
// unfiltered matches that are allowed, ranked as they were.
TEST_F(PhrasePairsTest, AllowedDocumentsNarrowTheMatchesAndKeepTheirRanks) {
  std::mt19937 rng(11);
  for (int i = 0; i < 400; ++i) Index(i, Sentence(&rng, 4), Sentence(&rng, 12));
  common_.Promote(db_.get(), 100);
  const Xapian::docid last = db_->get_lastdocid();
  Roaring sparse, dense, run;
  for (Xapian::docid d = 1; d <= last; ++d) {
    if (rng() % 50 == 0) sparse.add(d);
    if (rng() % 10 < 7) dense.add(d);
  }
  run.addRange(last / 3, last / 2);
  run.runOptimize();
  const std::vector<std::pair<std::string, Roaring>> sets = {
      {"none", Roaring()},
      {"the first", Roaring::bitmapOf(1, 1)},
      {"the last", Roaring::bitmapOf(1, last)},
      {"sparse", sparse},
      {"dense", dense},
      {"a run", run},
      {"all", all_}};
  const std::vector<std::pair<std::vector<std::string>, bool>> queries = {
      {{"violencia"}, false},
      {{"ruta", "salud"}, false},
      {{"violencia", "contra"}, true},
      {{"atencion", "protocolo", "guia"}, false},
      {{"mujeres", "ruta"}, true}};
  for (const auto& [words, phrase] : queries) {
    MatchSpec unfiltered = Query(words, phrase, true);
    unfiltered.page = last;
    const MatchResult everything = Match(*db_, unfiltered);
    ASSERT_GT(everything.matched.cardinality(), 0u) << absl::StrJoin(words, " ");
    for (const auto& [name, allowed] : sets) {
      SCOPED_TRACE(absl::StrCat(absl::StrJoin(words, " "), ", allowed: ", name));
      MatchSpec spec = Query(words, phrase, true);
      spec.allowed = &allowed;
      spec.page = 10;
      const MatchResult r = Match(*db_, spec);
      const Roaring want = everything.matched & allowed;
      EXPECT_EQ(r.matched, want);
      EXPECT_EQ(r.after_count, want.cardinality());
      std::vector<std::pair<Xapian::docid, double>> page, want_page;
      for (const Ranked& x : r.page) page.emplace_back(x.did, x.score);
      for (const Ranked& x : everything.page) {
        if (allowed.contains(x.did) && want_page.size() < 10)
          want_page.emplace_back(x.did, x.score);
      }
      EXPECT_EQ(page, want_page);
    }
  }
}

// A phrase of two words led by its pair's terms, with blocks passed over on
// their score bounds, finds and ranks what word-by-word checking finds,
// page after page, filtered or not; and so it does once documents changed
// after the bounds were read, in the blocks whose stamps say so.
TEST_F(PhrasePairsTest, APhraseLedByItsPairFindsAndRanksAsWordByWord) {
  std::mt19937 rng(5);
  int next = 0;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 160; ++i) {
      Index(next++, Sentence(&rng, 1 + static_cast<int>(rng() % 5)),
            Sentence(&rng, 6 + static_cast<int>(rng() % 14)), i % 9 == 0 ? Sentence(&rng, 2) : "");
    }
    for (int i = 0; i < 20; ++i) {
      Index(static_cast<int>(rng() % next), Sentence(&rng, 3), Sentence(&rng, 10));
    }
    common_.Promote(db_.get(), static_cast<uint32_t>(next * (0.9 - 0.15 * round)));
  }
  ASSERT_GE(common_.vintage().pairs, 1u);
  db_->commit();

  // What DocStats keeps: the blocks' shortest lengths and stamps.
  std::vector<uint32_t> stamps, min_lengths;
  auto set_length = [&](Xapian::docid did) {
    if (min_lengths.size() <= BlockOf(did)) min_lengths.resize(BlockOf(did) + 1, UINT32_MAX);
    min_lengths[BlockOf(did)] = std::min(min_lengths[BlockOf(did)], lengths_[did]);
  };
  for (Xapian::docid d : all_) set_length(d);
  std::map<std::string, std::shared_ptr<const TermBounds>> read;
  ScoreBounds bounds;
  bounds.stamps = &stamps;
  bounds.min_lengths = &min_lengths;
  bounds.term = [&](const std::string& t) {
    std::shared_ptr<const TermBounds>& b = read[t];
    if (b == nullptr) b = std::make_shared<const TermBounds>(ReadTermBounds(*db_, t, 0, 0));
    return b;
  };
  Roaring sparse;
  for (Xapian::docid d : all_) {
    if (rng() % 3 == 0) sparse.add(d);
  }

  // Every page of the phrase both ways.
  auto compare = [&](const std::vector<std::string>& phrase, const Roaring& allowed) {
    MatchSpec led = Query(phrase, true, true);
    MatchSpec plain = Query(phrase, true, false);
    led.bounds = &bounds;
    led.allowed = plain.allowed = &allowed;
    led.page = plain.page = 7;
    for (int n = 0; n < 1000; ++n) {
      const MatchResult a = Match(*db_, led);
      const MatchResult b = Match(*db_, plain);
      EXPECT_EQ(a.matched, b.matched);
      EXPECT_EQ(a.after_count, b.after_count);
      std::vector<std::pair<Xapian::docid, double>> pa, pb;
      for (const Ranked& x : a.page) pa.emplace_back(x.did, x.score);
      for (const Ranked& x : b.page) pb.emplace_back(x.did, x.score);
      EXPECT_EQ(pa, pb) << "page " << n;
      if (a.page.empty() || pa != pb || a.after_count <= a.page.size()) break;
      led.has_after = plain.has_after = true;
      led.after = plain.after = a.page.back();
    }
  };
  auto compare_all = [&](const char* when) {
    for (const std::string& a : kWords) {
      for (const std::string& b : kWords) {
        if (IsStopWord(a) || IsStopWord(b)) continue;
        for (const Roaring* allowed : {&all_, &sparse}) {
          SCOPED_TRACE(absl::StrCat(when, ": ", a, " ", b, allowed == &all_ ? "" : ", filtered"));
          compare({a, b}, *allowed);
        }
      }
    }
  };
  compare_all("as read");

  // Documents rebuilt after the bounds were read, the phrase now repeated
  // in their titles (a wdf no bound allows), their blocks stamped.
  for (int i = 0; i < 25; ++i) {
    const int n = static_cast<int>(rng() % next);
    Index(n, "violencia contra violencia contra mujeres ruta", Sentence(&rng, 4));
    const Xapian::docid did = *db_->postlist_begin(absl::StrCat(kIdPrefix, "o:m", n));
    if (stamps.size() <= BlockOf(did)) stamps.resize(BlockOf(did) + 1, 0);
    stamps[BlockOf(did)] = 1;
    set_length(did);
  }
  compare_all("after changes");
}

// The best matches in the first block: every later block's bound is below
// the page's worst, so only the first block's matches are scored.
TEST_F(PhrasePairsTest, ABlockWhoseMatchesCannotEnterThePageIsNotScored) {
  constexpr int kDocs = 40 * kBlockDocs;
  auto build_all = [&]() {
    for (int i = 0; i < kDocs; ++i) {
      Index(i, i < static_cast<int>(kBlockDocs) ? "violencia contra" : "guia",
            absl::StrCat("violencia contra ", i % 2 == 0 ? "ruta salud" : "ruta salud atencion"));
    }
  };
  // The words turn common, their pair is counted, then tracked and built.
  build_all();
  common_.Promote(db_.get(), 100);
  build_all();
  common_.Promote(db_.get(), 100);
  build_all();
  ASSERT_NE(common_.PairRankOf(stemmers_.Stem("violencia", "es"), stemmers_.Stem("contra", "es")),
            CommonWords::kNotCommon);
  db_->commit();
  std::vector<uint32_t> stamps, min_lengths(kDocs / kBlockDocs + 1, UINT32_MAX);
  for (Xapian::docid d : all_) {
    min_lengths[BlockOf(d)] = std::min(min_lengths[BlockOf(d)], lengths_[d]);
  }
  ScoreBounds bounds;
  bounds.stamps = &stamps;
  bounds.min_lengths = &min_lengths;
  bounds.term = [&](const std::string& t) {
    return std::make_shared<const TermBounds>(ReadTermBounds(*db_, t, 0, 0));
  };
  MatchSpec spec = Query({"violencia", "contra"}, true, true);
  spec.bounds = &bounds;
  spec.page = 5;
  const MatchResult r = Match(*db_, spec);
  EXPECT_EQ(r.matched.cardinality(), static_cast<uint64_t>(kDocs));
  EXPECT_EQ(r.after_count, static_cast<uint64_t>(kDocs));
  EXPECT_LE(r.scored, 2 * kBlockDocs);
  ASSERT_EQ(r.page.size(), 5u);
  for (const Ranked& x : r.page) EXPECT_LT(x.did, 2 * kBlockDocs);
  // Without bounds every match is scored, and the page is the same.
  spec.bounds = nullptr;
  const MatchResult all = Match(*db_, spec);
  EXPECT_EQ(all.scored, static_cast<uint64_t>(kDocs));
  ASSERT_EQ(all.page.size(), r.page.size());
  for (size_t i = 0; i < r.page.size(); ++i) {
    EXPECT_EQ(all.page[i].did, r.page[i].did);
    EXPECT_EQ(all.page[i].score, r.page[i].score);
  }
}

}  // namespace
}  // namespace minga::search
