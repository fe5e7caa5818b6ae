// The search view over the real sample materials, in process: matching,
// ranking, phrases, prefixes, filters, facets, cursors, snippets, "did you
// mean", and the view's own laws (it follows the feed, resumes where it
// committed, rebuilds aside, and never shows what lost its body while it
// lags).
// One suite over one fixture: its length is its cases.
#include "node/search/search_view.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "client/formats/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/catalog.h"
#include "node/search/analyzer.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga::search {
namespace {

namespace fs = std::filesystem;
using ::minga::testing::StatusIs;
using ::minga::testing::TestFederation;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

std::vector<v1::Material> Samples() {
  std::ifstream in(testing::SampleMaterialsPath());
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<v1::Material> out;
  for (const ParsedRecord& r : ParseImportFile(ss.str(), FileFormat::kJson).records) {
    out.push_back(r.record->material);
  }
  return out;
}

std::string TempDir(const std::string& name) {
  const std::string dir =
      ::testing::TempDir() + "/search-" + name + "-" + std::to_string(::getpid());
  fs::remove_all(dir);
  return dir;
}

class SearchViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < fed_.size(); ++i) {
      dirs_.push_back(TempDir(
          absl::StrCat(::testing::UnitTest::GetInstance()->current_test_info()->name(), "-", i)));
      views_.push_back(nullptr);
      OpenView(i);
    }
    samples_ = Samples();
    ASSERT_EQ(samples_.size(), 60u);
    std::vector<PutItem> puts;
    for (const v1::Material& m : samples_) {
      PutItem r;
      r.material = m;
      puts.push_back(r);
    }
    ASSERT_OK_AND_ASSIGN(auto results, cat().local().PutMany(puts, "test"));
    for (const auto& r : results) ASSERT_OK(r.status);
    Sync();
  }
  void TearDown() override {
    views_.clear();
    for (const std::string& d : dirs_) fs::remove_all(d);
  }

  void OpenView(int i) {
    views_[i].reset();
    SearchViewOptions o;
    o.dir = dirs_[i];
    o.catalog = &fed_.catalog(i);
    o.sync = false;
    // Low enough that the samples' frequent words turn common: phrases here
    // go through pair terms as well as word sequences.
    o.common_min_documents = 3;
    auto view = SearchView::Open(o);
    ASSERT_TRUE(view.ok()) << view.status();
    views_[i] = std::move(*view);
    views_[i]->Start();
  }

  Catalog& cat(int i = 0) { return fed_.catalog(i); }
  SearchView& view(int i = 0) { return *views_[i]; }
  // Waits until node i's index has reached its store's head.
  void Sync(int i = 0) {
    ASSERT_TRUE(view(i).WaitForPosition(cat(i).head_lseq(), absl::Seconds(60)));
  }

  v1::SearchResponse Run(v1::SearchRequest r, int node = 0) {
    auto res = view(node).Search(r);
    EXPECT_TRUE(res.ok()) << res.status();
    return res.ok() ? *res : v1::SearchResponse();
  }
  std::vector<std::string> Ids(v1::SearchRequest r, int node = 0) {
    r.set_page_size(100);
    std::vector<std::string> ids;
    const v1::SearchResponse res = Run(r, node);
    for (const auto& h : res.hits()) ids.push_back(h.material().id());
    return ids;
  }
  std::vector<std::string> Ids(const std::string& query, int node = 0) {
    v1::SearchRequest r;
    r.set_query(query);
    return Ids(r, node);
  }
  std::string Put(v1::Material m, v1::Audience::Scope scope = v1::Audience::PUBLIC,
                  std::vector<std::string> members = {}) {
    PutItem r;
    r.material = std::move(m);
    r.mutable_audience()->set_scope(scope);
    for (auto& o : members) r.mutable_audience()->add_members(o);
    auto put = cat().local().Put(r, "test");
    EXPECT_TRUE(put.ok()) << put.status();
    return put.ok() ? put->id() : "";
  }
  uint64_t FacetCount(const v1::SearchResponse& r, const std::string& facet,
                      const std::string& value) {
    for (const v1::Facet& f : r.facets()) {
      if (f.name() != facet) continue;
      for (const v1::FacetCount& c : f.counts()) {
        if (c.value() == value) return c.count();
      }
    }
    return 0;
  }

  TestFederation fed_{std::vector<std::string>{"red", "otra"}};
  std::vector<std::string> dirs_;
  std::vector<std::unique_ptr<SearchView>> views_;
  std::vector<v1::Material> samples_;
};

TEST_F(SearchViewTest, CaseAccentsAndPluralsFindTheSameMaterials) {
  const auto base = Ids("practica");
  EXPECT_THAT(base, Contains("red/spotlight-chirapaq-practicas-interculturales-2021"));
  EXPECT_EQ(Ids("PRÁCTICA"), base);
  EXPECT_EQ(Ids("prácticas"), base);
  const auto sexual = Ids("violencia sexual");
  EXPECT_FALSE(sexual.empty());
  EXPECT_EQ(Ids("Violencia Sexual"), sexual);
  EXPECT_EQ(Ids("protocolos"), Ids("protocolo"));
  EXPECT_FALSE(Ids("protocolo").empty());
}

TEST_F(SearchViewTest, EachLanguageMeetsItsOwnInflections) {
  v1::Material es = testing::MakeMaterial("Atención integral a la mujer", "mujer-es");
  es.set_summary("Servicio de acogida.");
  v1::Material pt =
      testing::MakeMaterial("Enfrentamento da violência contra a mulher", "mulher-pt");
  pt.set_title_language("pt");
  pt.set_summary("Rede de serviços.");
  const std::string a = Put(es);
  const std::string b = Put(pt);
  Sync();
  EXPECT_THAT(Ids("mujeres"), Contains(a));
  EXPECT_THAT(Ids("violências"), Contains(b));
  EXPECT_THAT(Ids("mulheres"), Contains(b));
  EXPECT_THAT(Ids("\"violências contra mulheres\""), Contains(b));
}

TEST_F(SearchViewTest, PortugueseText) {
  EXPECT_THAT(Ids("violência sexual"), Contains("red/br-norma-tecnica-violencia-sexual"));
  EXPECT_THAT(Ids("feminicídios"), Contains("red/br-diretrizes-feminicidios-2016"));
  EXPECT_THAT(Ids("\"casa da mulher brasileira\""), Contains("red/br-casa-mulher-brasileira-2015"));
}

TEST_F(SearchViewTest, IndigenousLanguagesAreSearchableUnstemmed) {
  v1::Material qu = testing::MakeMaterial("Warmikunapa kawsayninmanta", "qu");
  qu.set_title_language("qu");
  qu.clear_summary();
  const std::string id = Put(qu);
  Sync();
  EXPECT_THAT(Ids("warmikunapa"), Contains(id));
  v1::SearchRequest r;
  r.add_languages("QU");
  EXPECT_THAT(Ids(r), Contains(id));
}

TEST_F(SearchViewTest, TitleRanksAboveSummary) {
  const auto ids = Ids("femicidio");
  ASSERT_FALSE(ids.empty());
  ASSERT_OK_AND_ASSIGN(auto top, cat().Get(ids[0]));
  EXPECT_THAT(absl::AsciiStrToLower(top.material().title()), HasSubstr("femicidio"));
}

TEST_F(SearchViewTest, PhrasesMatchWordsInOrderOnly) {
  const auto all_words = Ids("violencia genero");
  const auto phrase = Ids("\"violencia de genero\"");
  EXPECT_FALSE(phrase.empty());
  EXPECT_LT(phrase.size(), all_words.size());
  for (const auto& id : phrase) EXPECT_THAT(all_words, Contains(id));
  EXPECT_THAT(Ids("violencia zzzznotaword"), IsEmpty());
  // The words in order, not merely both present.
  v1::Material together = testing::MakeMaterial("Ruta crítica de atención", "junta");
  together.set_summary("Describe la ruta crítica.");
  v1::Material apart = testing::MakeMaterial("Atención crítica en la ruta", "separada");
  apart.set_summary("Otra cosa.");
  const std::string a = Put(together), b = Put(apart);
  Sync();
  EXPECT_THAT(Ids("ruta critica"), ::testing::IsSupersetOf({a, b}));
  const auto exact = Ids("\"ruta crítica\"");
  EXPECT_THAT(exact, Contains(a));
  EXPECT_THAT(exact, Not(Contains(b)));
}

// The samples' most frequent runs of two and three words (stop words left
// out), as quoted phrases.
std::vector<std::string> FrequentPhrases(const std::vector<v1::Material>& samples) {
  std::map<std::string, int> counts;
  for (const v1::Material& m : samples) {
    std::vector<std::string> words;
    for (const std::string& w : SplitWords(m.title() + " . " + m.summary())) {
      if (!IsStopWord(w)) words.push_back(w);
    }
    for (size_t i = 0; i + 1 < words.size(); ++i) {
      ++counts[absl::StrCat("\"", words[i], " ", words[i + 1], "\"")];
      if (i + 2 < words.size()) {
        ++counts[absl::StrCat("\"", words[i], " ", words[i + 1], " ", words[i + 2], "\"")];
      }
    }
  }
  std::vector<std::pair<int, std::string>> by_count;
  for (const auto& [p, n] : counts) by_count.emplace_back(n, p);
  std::sort(by_count.rbegin(), by_count.rend());
  std::vector<std::string> out;
  for (size_t i = 0; i < by_count.size() && i < 40; ++i) out.push_back(by_count[i].second);
  return out;
}

TEST_F(SearchViewTest, PhrasesOfCommonWordsMatchAsWordByWordAcrossRebuilds) {
  // The reference: a view of the same store whose words never turn common,
  // so every phrase is checked in the word sequences.
  const std::string plain_dir = TempDir("plain-phrases");
  SearchViewOptions o;
  o.dir = plain_dir;
  o.catalog = &cat();
  o.sync = false;
  o.common_min_documents = std::numeric_limits<uint32_t>::max();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SearchView> plain, SearchView::Open(o));
  plain->Start();
  // Materials arrive in several commits, so the words turn common and the
  // pairs are tracked at different times: the index holds every vintage.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 5; ++i) {
      v1::Material m = samples_[(round * 7 + i * 3) % samples_.size()];
      m.set_id(absl::StrCat("again-", round, "-", i));
      Put(m);
    }
    Sync();
  }
  ASSERT_TRUE(plain->WaitForPosition(cat().head_lseq(), absl::Seconds(60)));
  const std::vector<std::string> phrases = FrequentPhrases(samples_);
  ASSERT_GE(phrases.size(), 30u);
  auto expected = [&](const std::string& q) {
    v1::SearchRequest r;
    r.set_query(q);
    r.set_page_size(100);
    auto res = plain->Search(r);
    EXPECT_TRUE(res.ok()) << res.status();
    std::set<std::string> ids;
    for (const auto& h : res->hits()) ids.insert(h.material().id());
    return ids;
  };
  auto found = [&](const std::string& q) {
    const auto ids = Ids(q);
    return std::set<std::string>(ids.begin(), ids.end());
  };
  size_t matched = 0;
  for (const std::string& q : phrases) {
    EXPECT_EQ(found(q), expected(q)) << q;
    matched += expected(q).size();
  }
  EXPECT_GT(matched, 60u);
  ASSERT_OK(view().Reindex([](uint64_t, uint64_t) {}));
  for (const std::string& q : phrases) EXPECT_EQ(found(q), expected(q)) << q << " after reindex";
  OpenView(0);
  Sync();
  for (const std::string& q : phrases) EXPECT_EQ(found(q), expected(q)) << q << " after reopening";
  ASSERT_OK(view().Compact());
  for (const std::string& q : phrases) EXPECT_EQ(found(q), expected(q)) << q << " after compacting";
  plain.reset();
  fs::remove_all(plain_dir);
}

// A ranked search reads its words' score bounds by block once and keeps
// them; a material edited after, in a block they describe, still ranks
// where its new text puts it, because its block is stamped before the
// commit that a later reader sees.
TEST_F(SearchViewTest, AMaterialEditedAfterASearchRanksByItsNewText) {
  std::vector<PutItem> puts;
  for (int i = 0; i < 400; ++i) {
    PutItem r;
    r.material = testing::MakeMaterial(absl::StrCat("Guía número ", i), absl::StrCat("ruta-", i));
    r.material.set_summary(
        absl::StrCat("Una ruta de atención ante la violencia contra las mujeres, tramo ", i));
    puts.push_back(std::move(r));
  }
  ASSERT_OK_AND_ASSIGN(auto results, cat().local().PutMany(puts, "test"));
  for (const auto& r : results) ASSERT_OK(r.status);
  Sync();
  v1::SearchRequest r;
  r.set_query("\"violencia contra\"");
  r.set_page_size(3);
  const v1::SearchResponse before = Run(r);
  ASSERT_GE(before.total(), 400u);
  // One of the last: its block is not the first, which a page always scores.
  v1::Material edited = puts[390].material;
  edited.set_id(results[390].id);
  edited.set_title("Violencia contra violencia contra");
  Put(edited);
  Sync();
  const v1::SearchResponse after = Run(r);
  ASSERT_GE(after.hits_size(), 1);
  EXPECT_EQ(after.hits(0).material().id(), results[390].id);
}

TEST_F(SearchViewTest, PrefixesMatchTheWordsTheyBegin) {
  const auto full = Ids("feminicidio");
  ASSERT_FALSE(full.empty());
  const auto prefix = Ids("femin*");
  for (const auto& id : full) EXPECT_THAT(prefix, Contains(id));
  EXPECT_GE(prefix.size(), full.size());
  EXPECT_THAT(Ids("femin"), IsEmpty());  // a word is a word unless it ends in *
}

TEST_F(SearchViewTest, TopicsAreFoundByWordsPrefixesAndPhrasesWithinOneTopic) {
  v1::Material m = testing::MakeMaterial("Guía breve", "topicos");
  m.set_summary("Un texto sin relación.");
  m.clear_topics();
  m.add_topics("first-line-support");
  m.add_topics("safety-planning");
  const std::string id = Put(m);
  Sync();
  EXPECT_THAT(Ids("supporting"), Contains(id));  // stemmed in English
  EXPECT_THAT(Ids("safet*"), Contains(id));
  EXPECT_THAT(Ids("\"line support\""), Contains(id));
  EXPECT_THAT(Ids("\"first line support\""), Contains(id));
  // Each topic is a field of its own, as the summary is.
  EXPECT_THAT(Ids("\"support safety\""), Not(Contains(id)));
  EXPECT_THAT(Ids("\"relación first\""), Not(Contains(id)));
  EXPECT_THAT(Ids("\"support line\""), Not(Contains(id)));
}

TEST_F(SearchViewTest, DidYouMean) {
  v1::SearchRequest r;
  r.set_query("violensia sexual");
  v1::SearchResponse res = Run(r);
  EXPECT_EQ(res.total(), 0u);
  EXPECT_EQ(res.suggestion(), "violencia sexual");
  r.set_query(res.suggestion());
  EXPECT_GT(Run(r).total(), 0u);
}

TEST_F(SearchViewTest, SuggestionsComeOnlyFromTheMaterialsHeldNow) {
  // The dictionary counts each word per material: it stays while one
  // material has it, and leaves with the last, whether retracted or edited.
  auto suggestion = [&] {
    Sync();
    v1::SearchRequest r;
    r.set_query("quilqaymanta");
    return Run(r).suggestion();
  };
  EXPECT_EQ(suggestion(), "");
  const std::string a = Put(testing::MakeMaterial("Quillqaymanta: protocolo comunitario", "qa"));
  const std::string b = Put(testing::MakeMaterial("Guía quillqaymanta para promotoras", "qb"));
  EXPECT_EQ(suggestion(), "quillqaymanta");
  ASSERT_OK(cat().local().Delete(a, 0, "test").status());
  EXPECT_EQ(suggestion(), "quillqaymanta");  // b still has it
  Put(testing::MakeMaterial("Guía para promotoras", "qb"));
  EXPECT_EQ(suggestion(), "");
  const std::string c = Put(testing::MakeMaterial("Quillqaymanta en la escuela", "qc"));
  EXPECT_EQ(suggestion(), "quillqaymanta");
  ASSERT_OK(view().Reindex([](uint64_t, uint64_t) {}));
  EXPECT_EQ(suggestion(), "quillqaymanta");
  ASSERT_OK(cat().local().Delete(c, 0, "test").status());
  EXPECT_EQ(suggestion(), "");
}

TEST_F(SearchViewTest, SnippetsMarkTheWordsThatMatched) {
  v1::Material m = testing::MakeMaterial("Guía", "snippet");
  m.set_summary(
      "Un texto largo que no dice nada al principio, y luego, mucho después, habla "
      "de las Prácticas interculturales de atención en salud para pueblos indígenas "
      "con otras palabras que siguen y siguen hasta el final del resumen.");
  const std::string id = Put(m);
  Sync();
  v1::SearchRequest r;
  r.set_query("práctica intercultural");
  r.add_origins("red");
  v1::SearchResponse res = Run(r);
  const v1::SearchHit* hit = nullptr;
  for (const auto& h : res.hits()) {
    if (h.material().id() == id) hit = &h;
  }
  ASSERT_NE(hit, nullptr);
  std::vector<std::string> marked;
  for (const v1::Highlight& h : hit->highlights()) {
    marked.push_back(hit->snippet().substr(h.begin(), h.end() - h.begin()));
  }
  EXPECT_THAT(marked, ::testing::ElementsAre("Prácticas", "interculturales"));
  EXPECT_LE(hit->snippet().size(), 250u);
}

// Filters combine exactly as a plain scan of the samples says.
TEST_F(SearchViewTest, CombinedFiltersMatchAScanAndFacetsAddUp) {
  v1::SearchRequest r;
  r.add_sectors("health");
  r.add_populations("indigenous");
  r.add_languages("es");
  std::vector<std::string> expected;
  for (v1::Material m : samples_) {
    auto has = [](const auto& list, const std::string& v) {
      return std::find(list.begin(), list.end(), v) != list.end();
    };
    bool es = m.title_language() == "es" || m.other_language_titles().count("es");
    if (has(m.sectors(), "health") && has(m.populations(), "indigenous") && es) {
      expected.push_back("red/" + m.id());
    }
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_THAT(Ids(r), UnorderedElementsAreArray(expected));

  v1::SearchRequest health;
  health.add_sectors("health");
  health.set_page_size(5);
  v1::SearchResponse res = Run(health);
  EXPECT_EQ(res.hits_size(), 5);
  std::set<std::string> names;
  for (const v1::Facet& f : res.facets()) {
    names.insert(f.name());
    uint64_t sum = 0;
    for (const auto& c : f.counts()) sum += c.count();
    if (f.name() == "kind" || f.name() == "origin") {
      EXPECT_EQ(sum, res.total()) << f.name();
    }
    if (f.name() == "sector") {
      EXPECT_EQ(f.counts(0).value(), "health");
      EXPECT_EQ(f.counts(0).count(), res.total());
    }
  }
  EXPECT_THAT(names, ::testing::IsSupersetOf({"sector", "kind", "origin", "language", "year"}));
}

TEST_F(SearchViewTest, LanguageFiltersIgnoreCase) {
  v1::Material m = testing::MakeMaterial("Diretrizes nacionais", "ptbr");
  m.set_title_language("pt-BR");
  const std::string id = Put(m);
  Sync();
  for (const char* tag : {"pt-BR", "pt-br", "PT-br", "pt_BR"}) {
    v1::SearchRequest r;
    r.add_languages(tag);
    EXPECT_THAT(Ids(r), Contains(id)) << tag;
  }
}

TEST_F(SearchViewTest, PagesNeitherRepeatNorSkipWhileMaterialsAreAdded) {
  int added_before = 0;  // by the earlier sort's run
  for (auto sort : {v1::SearchRequest::RELEVANCE, v1::SearchRequest::DATE}) {
    v1::SearchRequest r;
    r.set_query("violencia");
    r.set_sort(sort);
    r.set_page_size(4);
    v1::SearchResponse first = Run(r);
    const uint64_t total_before = first.total();
    ASSERT_GT(total_before, 8u);
    std::vector<std::string> seen;
    for (const auto& h : first.hits()) seen.push_back(h.material().id());
    std::string cursor = first.next_cursor();
    int added = 0;
    int pages = 1;
    while (!cursor.empty() && pages < 100) {
      // New, highly relevant (and newest) materials arrive between pages.
      Put(testing::MakeMaterial(absl::StrCat("Violencia violencia violencia ", sort, "-", added),
                                absl::StrCat("nueva-", sort, "-", added)));
      ++added;
      Sync();
      r.set_cursor(cursor);
      v1::SearchResponse page = Run(r);
      for (const auto& h : page.hits()) seen.push_back(h.material().id());
      cursor = page.next_cursor();
      ++pages;
    }
    ASSERT_LT(pages, 100);
    std::set<std::string> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), seen.size()) << "a material was repeated";
    v1::SearchRequest all;
    all.set_query("violencia");
    all.set_page_size(100);
    int old = 0;
    const v1::SearchResponse now = Run(all);
    for (const auto& h : now.hits()) {
      if (absl::StartsWith(h.material().id(), "red/nueva-")) continue;
      ++old;
      EXPECT_TRUE(unique.count(h.material().id())) << h.material().id() << " was skipped";
    }
    EXPECT_EQ(old + added_before, static_cast<int>(total_before));
    added_before += added;
  }
}

TEST_F(SearchViewTest, BadInputIsRefusedBeforeAnyScan) {
  v1::SearchRequest r;
  r.add_sectors("helth");
  EXPECT_THAT(view().Search(r), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("sectors[0]: unknown value 'helth'")));
  v1::SearchRequest cursor;
  cursor.set_cursor("not a cursor!");
  EXPECT_THAT(view().Search(cursor),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cursor: malformed")));
  // A cursor of this query whose weights were changed: scores and their
  // bounds by block assume them finite and not negative.
  v1::SearchRequest paged;
  paged.set_query("violencia");
  paged.set_page_size(2);
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse first, view().Search(paged));
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(first.next_cursor(), &raw));
  v1::storage::SearchCursor forged;
  ASSERT_TRUE(forged.ParseFromString(raw));
  ASSERT_GT(forged.word_weights_size(), 0);
  forged.set_word_weights(0, -1);
  paged.set_cursor(absl::WebSafeBase64Escape(forged.SerializeAsString()));
  EXPECT_THAT(view().Search(paged),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("a word's weight")));
  v1::SearchRequest huge;
  huge.set_query(std::string(10000, 'a'));
  EXPECT_THAT(view().Search(huge),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query: 10000 characters")));
  v1::SearchRequest stop;
  stop.set_query("de la y the of");
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse empty, view().Search(stop));
  EXPECT_EQ(empty.total(), 0u);
  EXPECT_THAT(empty.note(), HasSubstr("common words"));
  v1::SearchRequest a;
  a.set_query("violencia");
  a.set_page_size(1);
  ASSERT_OK_AND_ASSIGN(v1::SearchResponse page, view().Search(a));
  v1::SearchRequest b;
  b.set_query("salud");
  b.set_cursor(page.next_cursor());
  EXPECT_THAT(view().Search(b),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("another query")));
  v1::SearchRequest years;
  years.set_year_min(2020);
  years.set_year_max(2010);
  EXPECT_THAT(view().Search(years), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::SearchRequest bad_utf8;
  bad_utf8.set_query(
      "pr\xE1"
      "ctica");
  EXPECT_THAT(view().Search(bad_utf8),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("query: not valid UTF-8")));
}

TEST_F(SearchViewTest, RetractedMaterialsLeaveTheIndexAndReindexKeepsResults) {
  const auto before = Ids("feminicidio");
  ASSERT_THAT(before, Contains("red/br-diretrizes-feminicidios-2016"));
  ASSERT_OK(cat().local().Delete("red/br-diretrizes-feminicidios-2016", 0, "test").status());
  EXPECT_THAT(Ids("feminicidio"), Not(Contains("red/br-diretrizes-feminicidios-2016")));
  Sync();
  // Each hit and its score: equal scores may come in another order once
  // documents are numbered anew.
  auto scores = [&] {
    v1::SearchRequest r;
    r.set_query("violencia");
    r.set_page_size(100);
    std::map<std::string, double> out;
    const v1::SearchResponse res = Run(r);
    for (const auto& h : res.hits()) out[h.material().id()] = h.score();
    return out;
  };
  const auto after_delete = scores();
  ASSERT_GT(after_delete.size(), 10u);
  uint64_t last_total = 0;
  ASSERT_OK(view().Reindex([&](uint64_t, uint64_t total) { last_total = total; }));
  EXPECT_EQ(last_total, 59u);
  EXPECT_EQ(scores(), after_delete);
  EXPECT_EQ(view().documents(), 59u);
  ASSERT_OK(view().Compact());
  EXPECT_EQ(scores(), after_delete);
}

TEST_F(SearchViewTest, PartnersMaterialsAreFoundAfterSyncAndGoneAfterRetraction) {
  ASSERT_OK(fed_.PullAll(1, 0));
  Sync(1);
  v1::SearchRequest r;
  r.set_query("feminicidio");
  r.add_origins("red");
  v1::SearchResponse at_partner = Run(r, 1);
  EXPECT_GT(at_partner.total(), 0u);
  ASSERT_OK(cat().local().Delete("red/br-diretrizes-feminicidios-2016", 0, "test").status());
  ASSERT_OK(fed_.PullAll(1, 0));
  Sync(1);
  v1::SearchResponse after = Run(r, 1);
  for (const auto& h : after.hits()) {
    EXPECT_NE(h.material().id(), "red/br-diretrizes-feminicidios-2016");
  }
  EXPECT_EQ(after.total(), at_partner.total() - 1);
}

// Confinement and retraction hold while the view lags: a material that
// lost its body is neither a hit nor counted, before the index sees it.
// A long stream of changes is built a stretch ahead of the writer
// (BuildAhead): new materials, replacements, changes made stale by a later
// one, retractions; the index ends as if each was applied in turn.
TEST_F(SearchViewTest, AStreamBuiltAheadIndexesEveryChangeInOrder) {
  auto put_many = [&](int from, int to, const std::string& title) {
    std::vector<PutItem> puts;
    for (int i = from; i < to; ++i) {
      PutItem r;
      r.material = testing::MakeMaterial(absl::StrCat(title, " ", i), absl::StrCat("ave-", i));
      puts.push_back(std::move(r));
    }
    ASSERT_OK_AND_ASSIGN(auto results, cat().local().PutMany(puts, "test"));
    for (const auto& r : results) ASSERT_OK(r.status);
  };
  auto total = [&](const std::string& query) {
    v1::SearchRequest r;
    r.set_query(query);
    const v1::SearchResponse res = Run(r);
    EXPECT_EQ(FacetCount(res, "origin", "red"), res.total()) << query;
    return res.total();
  };
  view().HoldForTest(true);
  put_many(0, 300, "Zorzal andino");
  view().HoldForTest(false);
  Sync();
  EXPECT_EQ(total("zorzal"), 300u);
  view().HoldForTest(true);
  put_many(0, 50, "Tordo serrano");        // replaces the first fifty
  put_many(0, 10, "Tordo serrano nuevo");  // and ten of them again
  for (int i = 50; i < 80; ++i) {
    ASSERT_OK(cat().local().Delete(absl::StrCat("red/ave-", i), 0, "test").status());
  }
  put_many(300, 450, "Zorzal andino");
  view().HoldForTest(false);
  Sync();
  EXPECT_EQ(total("zorzal"), 370u);
  EXPECT_EQ(total("\"zorzal andino\""), 370u);
  EXPECT_EQ(total("tordo"), 50u);
  EXPECT_EQ(total("\"tordo serrano nuevo\""), 10u);
  EXPECT_EQ(total("zorzal 55"), 0u);  // retracted
  EXPECT_EQ(total("zorzal 420"), 1u);
}

TEST_F(SearchViewTest, WhatLostItsBodyIsNeverShownWhileTheViewLags) {
  ASSERT_OK(fed_.PullAll(1, 0));
  Sync(1);
  v1::SearchRequest r;
  r.set_query("feminicidio");
  v1::SearchResponse before = Run(r, 1);
  ASSERT_GE(before.total(), 3u);
  const uint64_t br_before = FacetCount(before, "country", "BR");
  ASSERT_GT(br_before, 0u);
  view(1).HoldForTest(true);
  // Retracted at the origin; another narrowed to the origin alone.
  const std::string retracted = "red/br-diretrizes-feminicidios-2016";
  ASSERT_OK(cat().local().Delete(retracted, 0, "test").status());
  std::string narrowed;
  for (const auto& h : before.hits()) {
    if (h.material().id() != retracted && h.material().header().origin() == "red") {
      narrowed = h.material().id();
      break;
    }
  }
  ASSERT_FALSE(narrowed.empty());
  ASSERT_OK_AND_ASSIGN(v1::MaterialView held, cat().Get(narrowed));
  PutItem narrow;
  narrow.material = held.material();
  narrow.mutable_audience()->set_scope(v1::Audience::PRIVATE);
  ASSERT_OK(cat().local().Put(narrow, "test").status());
  ASSERT_OK(fed_.PullAll(1, 0));

  v1::SearchResponse lagging = Run(r, 1);
  EXPECT_GT(lagging.index_lag(), 0u) << "the view did not lag; the test proves nothing";
  std::vector<std::string> ids;
  for (const auto& h : lagging.hits()) ids.push_back(h.material().id());
  EXPECT_THAT(ids, Not(Contains(retracted)));
  EXPECT_THAT(ids, Not(Contains(narrowed)));
  EXPECT_EQ(lagging.total(), before.total() - 2);
  uint64_t kinds = 0;
  for (const v1::Facet& f : lagging.facets()) {
    if (f.name() != "origin") continue;
    for (const auto& c : f.counts()) kinds += c.count();
  }
  EXPECT_EQ(kinds, lagging.total()) << "facet counts include what was retracted";
  // Filters too: the facet a retracted material had does not find it.
  v1::SearchRequest br;
  br.add_countries("BR");
  for (const auto& id : Ids(br, 1)) {
    EXPECT_NE(id, retracted);
    EXPECT_NE(id, narrowed);
  }
  view(1).HoldForTest(false);
  Sync(1);
  v1::SearchResponse caught_up = Run(r, 1);
  EXPECT_EQ(caught_up.index_lag(), 0u);
  EXPECT_EQ(caught_up.total(), before.total() - 2);
}

// The index resumes from the position it committed, not from zero, and
// picks up what changed while it was closed.
TEST_F(SearchViewTest, ResumesFromItsCommittedPosition) {
  const uint64_t reached = view().position();
  ASSERT_EQ(reached, cat().head_lseq());
  views_[0].reset();  // closed (as a stop or a crash after its last commit)
  const std::string id = Put(testing::MakeMaterial("Escrito mientras el índice dormía", "dormido"));
  ASSERT_OK(cat().local().Delete("red/br-diretrizes-feminicidios-2016", 0, "test").status());
  SearchViewOptions o;
  o.dir = dirs_[0];
  o.catalog = &cat();
  o.sync = false;
  ASSERT_OK_AND_ASSIGN(views_[0], SearchView::Open(o));
  EXPECT_EQ(view().position(), reached);
  // Before it catches up, the retraction is already hidden.
  EXPECT_THAT(Ids("feminicidio"), Not(Contains("red/br-diretrizes-feminicidios-2016")));
  view().Start();
  Sync();
  EXPECT_THAT(Ids("dormía"), Contains(id));
  EXPECT_EQ(view().documents(), 60u);
}

// A rebuild that never finished leaves the index in use as it was, and its
// leftovers go at the next open; an index of another store is rebuilt.
TEST_F(SearchViewTest, LeftoversOfARebuildGoAndAnotherStoresIndexIsRebuilt) {
  const auto before = Ids("violencia");
  views_[0].reset();
  fs::create_directories(fs::path(dirs_[0]) / "index-99");
  { std::ofstream(fs::path(dirs_[0]) / "index-99" / "junk") << "half an index"; }
  OpenView(0);
  EXPECT_FALSE(fs::exists(fs::path(dirs_[0]) / "index-99"));
  EXPECT_EQ(Ids("violencia"), before);
  // A new store (a lost disk): its feed is another; the index starts over.
  views_[0].reset();
  ASSERT_OK(fed_.Wipe(0));
  OpenView(0);
  EXPECT_EQ(view().position(), 0u);
  EXPECT_EQ(view().documents(), 0u);
  EXPECT_THAT(Ids("violencia"), IsEmpty());
}

// Compacting copies the index without what retracted materials left in
// freed pages: a word only a retracted material had is nowhere on disk.
TEST_F(SearchViewTest, CompactionLeavesNothingOfRetractedMaterialsOnDisk) {
  v1::Material secret = testing::MakeMaterial("Documento con palabra única", "secreto");
  secret.set_summary("Contiene zqxjvpalabrasecreta y nada más.");
  const std::string id = Put(secret);
  Sync();
  ASSERT_THAT(Ids("zqxjvpalabrasecreta"), Contains(id));
  ASSERT_OK(cat().local().Delete(id, 0, "test").status());
  Sync();
  ASSERT_OK(view().Compact());
  EXPECT_THAT(Ids("zqxjvpalabrasecreta"), IsEmpty());
  for (const auto& e : fs::recursive_directory_iterator(dirs_[0])) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str().find("zqxjvpalabrasecret"), std::string::npos) << e.path();
  }
}

}  // namespace
}  // namespace minga::search
