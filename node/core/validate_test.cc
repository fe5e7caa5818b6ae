#include "node/core/validate.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::IsOk;
using ::minga::testing::MakeMaterial;
using ::minga::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

v1::Material Valid() { return MakeMaterial("Protocolo de atención"); }

TEST(ValidateTest, ValidMaterialPasses) {
  EXPECT_THAT(ValidateMaterial(Valid(), Strictness::kLocal), IsOk());
}

// Each rule, with the field its error must name.
struct Case {
  const char* name;
  void (*mutate)(v1::Material*);
  const char* field;
};

class ValidateRuleTest : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateRuleTest, FailsNamingTheField) {
  v1::Material m = Valid();
  GetParam().mutate(&m);
  EXPECT_THAT(ValidateMaterial(m, Strictness::kLocal),
              StatusIs(kInvalid, HasSubstr(GetParam().field)));
}

INSTANTIATE_TEST_SUITE_P(
    Rules, ValidateRuleTest,
    ::testing::Values(
        Case{"TitleRequired", [](v1::Material* m) { m->set_title(""); }, "title: required"},
        Case{"TitleTooLong", [](v1::Material* m) { m->set_title(std::string(501, 'a')); },
             "title: too long"},
        Case{"TitleNotUtf8", [](v1::Material* m) { m->set_title("Pr\xE1" "ctica"); },
             "title: not valid UTF-8"},
        Case{"TitleOverlongUtf8", [](v1::Material* m) { m->set_title("a\xC0\xAF"); },
             "title: not valid UTF-8"},
        Case{"TitleControlChar", [](v1::Material* m) { m->set_title("a\x01" "b"); },
             "title: contains control"},
        Case{"TitleLanguage", [](v1::Material* m) { m->set_title_language("spanish!"); },
             "title_language"},
        Case{"OtherTitleKey",
             [](v1::Material* m) { (*m->mutable_other_language_titles())["x"] = "t"; },
             "other_language_titles[x]"},
        Case{"SummaryTooLong", [](v1::Material* m) { m->set_summary(std::string(8001, 'a')); },
             "summary: too long"},
        Case{"LanguageTag", [](v1::Material* m) { m->add_languages("e"); }, "languages[0]"},
        Case{"KindRequired", [](v1::Material* m) { m->clear_kind(); }, "kind: required"},
        Case{"KindUnknown", [](v1::Material* m) { m->set_kind("guidebook"); },
             "kind: unknown value 'guidebook'"},
        Case{"SectorsRequired", [](v1::Material* m) { m->clear_sectors(); }, "sectors: at least one"},
        Case{"SectorUnknown", [](v1::Material* m) { m->add_sectors("helth"); },
             "sectors[1]: unknown value 'helth'"},
        Case{"PopulationUnknown", [](v1::Material* m) { m->add_populations("kids"); },
             "populations[1]"},
        Case{"CountryUnknown", [](v1::Material* m) { m->add_countries("XX"); }, "countries[1]"},
        Case{"CountryLowerCase", [](v1::Material* m) { m->add_countries("gt"); }, "countries[1]"},
        Case{"TooManyCountries",
             [](v1::Material* m) {
               for (int i = 0; i < 65; ++i) m->add_countries("GT");
             },
             "countries: too many"},
        Case{"TopicShape", [](v1::Material* m) { m->add_topics("Not Kebab"); }, "topics[1]"},
        Case{"PublisherEmpty", [](v1::Material* m) { m->add_publisher(""); },
             "publisher[1]: required"},
        Case{"PublisherTooLong", [](v1::Material* m) { m->add_publisher(std::string(201, 'p')); },
             "publisher[1]: too long"},
        Case{"YearRange", [](v1::Material* m) { m->set_year(15); }, "year"},
        Case{"UrlScheme", [](v1::Material* m) { m->set_url("ftp://x.org/a"); }, "url: must start"},
        Case{"UrlSpace", [](v1::Material* m) { m->set_url("https://x.org/a b"); }, "url: contains"},
        Case{"UrlHost", [](v1::Material* m) { m->set_url("https:///path"); }, "url: has no host"},
        Case{"UrlPort", [](v1::Material* m) { m->set_url("https://x.org:http/"); }, "url: port"},
        Case{"LicenseTooLong", [](v1::Material* m) { m->set_license(std::string(201, 'l')); },
             "license"},
        Case{"SourceTooLong", [](v1::Material* m) { m->set_source(std::string(2001, 's')); },
             "source"},
        Case{"IdShape", [](v1::Material* m) { m->set_id("Org/x"); }, "id:"},
        Case{"FileName",
             [](v1::Material* m) {
               v1::FileInfo* f = m->add_files();
               f->set_name("../etc/passwd");
               f->set_sha256(std::string(32, 'a'));
             },
             "files[0].name"},
        Case{"FileChunkCount",
             [](v1::Material* m) {
               v1::FileInfo* f = m->add_files();
               f->set_name("a.pdf");
               f->set_size(3 << 20);
               f->set_sha256(std::string(32, 'a'));
               f->add_chunk_sha256(std::string(32, 'b'));
             },
             "files[0].chunk_sha256: has 1 hashes"},
        Case{"FileHugeSize",
             [](v1::Material* m) {
               v1::FileInfo* f = m->add_files();
               f->set_name("a.pdf");
               f->set_size(uint64_t{1} << 40);
               f->set_sha256(std::string(32, 'a'));
             },
             "files[0].size"},
        Case{"FileDuplicate",
             [](v1::Material* m) {
               for (int i = 0; i < 2; ++i) {
                 v1::FileInfo* f = m->add_files();
                 f->set_name("a.pdf");
                 f->set_sha256(std::string(32, 'a'));
               }
             },
             "files[1].name: 'a.pdf' is listed twice"},
        Case{"MediaType",
             [](v1::Material* m) {
               v1::FileInfo* f = m->add_files();
               f->set_name("a.pdf");
               f->set_media_type("pdf");
               f->set_sha256(std::string(32, 'a'));
             },
             "files[0].media_type"}),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

// Each limit takes its bound exactly and refuses one more, naming the field.
struct Bound {
  const char* name;
  void (*fill)(v1::Material*, int n);  // gives the field n items (or chars)
  int limit;
  const char* error;
};

class ValidateBoundTest : public ::testing::TestWithParam<Bound> {};

TEST_P(ValidateBoundTest, TakesTheBoundAndRefusesOneMore) {
  v1::Material at = Valid();
  GetParam().fill(&at, GetParam().limit);
  EXPECT_THAT(ValidateMaterial(at, Strictness::kLocal), IsOk());
  v1::Material past = Valid();
  GetParam().fill(&past, GetParam().limit + 1);
  EXPECT_THAT(ValidateMaterial(past, Strictness::kLocal),
              StatusIs(kInvalid, HasSubstr(GetParam().error)));
}

std::string Repeat(absl::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out.append(s.data(), s.size());
  return out;
}

INSTANTIATE_TEST_SUITE_P(
    Limits, ValidateBoundTest,
    ::testing::Values(
        // Characters, not bytes: two bytes each in UTF-8.
        Bound{"TitleChars", [](v1::Material* m, int n) { m->set_title(Repeat("á", n)); }, 500,
              "title: too long"},
        Bound{"SummaryChars", [](v1::Material* m, int n) { m->set_summary(Repeat("é", n)); }, 8000,
              "summary: too long"},
        Bound{"OtherTitles",
              [](v1::Material* m, int n) {
                for (int i = 0; i < n; ++i) {
                  (*m->mutable_other_language_titles())[std::string{
                      'a', static_cast<char>('a' + i)}] = "T";
                }
              },
              16, "other_language_titles: too many"},
        Bound{"Languages",
              [](v1::Material* m, int n) {
                for (int i = 0; i < n; ++i) m->add_languages("es");
              },
              32, "languages: too many"},
        Bound{"Sectors",
              [](v1::Material* m, int n) {
                m->clear_sectors();
                for (int i = 0; i < n; ++i) m->add_sectors("health");
              },
              32, "sectors: too many"},
        Bound{"Countries",
              [](v1::Material* m, int n) {
                m->clear_countries();
                for (int i = 0; i < n; ++i) m->add_countries("GT");
              },
              64, "countries: too many"},
        Bound{"Topics",
              [](v1::Material* m, int n) {
                m->clear_topics();
                for (int i = 0; i < n; ++i) m->add_topics(absl::StrCat("t", i));
              },
              32, "topics: too many"},
        Bound{"Publishers",
              [](v1::Material* m, int n) {
                m->clear_publisher();
                for (int i = 0; i < n; ++i) m->add_publisher("OPS");
              },
              32, "publisher: too many"},
        Bound{"Files",
              [](v1::Material* m, int n) {
                for (int i = 0; i < n; ++i) {
                  v1::FileInfo* f = m->add_files();
                  f->set_name(absl::StrCat("f", i, ".pdf"));
                  f->set_sha256(std::string(32, 'a'));
                }
              },
              64, "files: too many"}),
    [](const ::testing::TestParamInfo<Bound>& info) { return info.param.name; });

TEST(ValidateTest, PeerStrictnessAcceptsNewVocabulary) {
  v1::Material m = Valid();
  m.set_kind("podcast");
  m.add_sectors("education");
  EXPECT_THAT(ValidateMaterial(m, Strictness::kLocal), StatusIs(kInvalid));
  EXPECT_THAT(ValidateMaterial(m, Strictness::kPeer), IsOk());
  m.set_title("");
  EXPECT_THAT(ValidateMaterial(m, Strictness::kPeer), StatusIs(kInvalid));
}

TEST(NormalizeTest, FoldsVocabularyAndFillsLanguages) {
  v1::Material m;
  m.set_id("  Esp-Module-1 ");
  m.set_title("  Título  ");
  m.set_title_language("ES");
  (*m.mutable_other_language_titles())["pt-br"] = "Título";
  m.set_kind(" Guide");
  m.add_sectors("Social Services");
  m.add_sectors("health");
  m.add_sectors("health");
  m.add_countries("gt");
  m.add_countries("lac");
  m.add_countries("Global");
  m.add_topics("Violencia Sexual");
  m.add_publisher(" ");
  NormalizeMaterial(&m);
  EXPECT_EQ(m.id(), "esp-module-1");
  EXPECT_EQ(m.title(), "Título");
  EXPECT_EQ(m.kind(), "guide");
  EXPECT_THAT(m.sectors(), ::testing::ElementsAre("social_services", "health"));
  EXPECT_THAT(m.countries(), ::testing::ElementsAre("GT", "LAC", "global"));
  EXPECT_THAT(m.topics(), ::testing::ElementsAre("violencia-sexual"));
  EXPECT_THAT(m.languages(), ::testing::ElementsAre("es", "pt-BR"));
  EXPECT_TRUE(m.publisher().empty());
  EXPECT_THAT(ValidateMaterial(m, Strictness::kLocal), IsOk());
}

}  // namespace
}  // namespace minga
