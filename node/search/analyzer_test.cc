#include "node/search/analyzer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/core/text.h"

namespace minga::search {
namespace {

using ::testing::ElementsAre;

TEST(AnalyzerTest, WordsAreFoldedAndSplitOnWhatIsNotALetterOrDigit) {
  EXPECT_THAT(SplitWords("Guía, para la atención (2015)!"),
              ElementsAre("guia", "para", "la", "atencion", "2015"));
  EXPECT_THAT(SplitWords("Niña, pingüino, coração, ação, Über"),
              ElementsAre("nina", "pinguino", "coracao", "acao", "uber"));
  EXPECT_TRUE(SplitWords("pr\xE1"
                         "ctica")
                  .empty());  // not UTF-8
}

TEST(AnalyzerTest, OffsetsPointAtTheSourceText) {
  const std::string text = "La Violência, e as ações.";
  const std::vector<Word> words = SplitWordsWithOffsets(text);
  ASSERT_EQ(words.size(), 5u);
  EXPECT_EQ(words[1].folded, "violencia");
  EXPECT_EQ(text.substr(words[1].begin, words[1].end - words[1].begin), "Violência");
  EXPECT_EQ(text.substr(words[4].begin, words[4].end - words[4].begin), "ações");
  // A decomposed accent stays part of its word.
  const std::vector<Word> decomposed = SplitWordsWithOffsets(
      "pra\xCC\x81"
      "ctica x");
  ASSERT_EQ(decomposed.size(), 2u);
  EXPECT_EQ(decomposed[0].folded, "practica");
  EXPECT_EQ(decomposed[0].end, 10u);
}

TEST(AnalyzerTest, LongWordsAreCutAtACharacterBoundary) {
  std::string word = "NiUnaMenos";
  for (int i = 0; i < 20; ++i) word += "\xF0\x9F\x92\x9C";  // purple hearts
  const std::vector<std::string> words = SplitWords(
      word + " 女性への暴力女性への暴力女性への暴力女性への暴力女性への暴力女性への暴力");
  ASSERT_EQ(words.size(), 2u);
  for (const std::string& w : words) {
    EXPECT_LE(w.size(), kMaxWordBytes);
    EXPECT_GT(w.size(), kMaxWordBytes - 4);
    EXPECT_TRUE(IsValidUtf8(w)) << w;
  }
  EXPECT_EQ(words[0].substr(0, 10), "niunamenos");
}

TEST(AnalyzerTest, StemmersByLanguageTag) {
  EXPECT_EQ(StemmerName("es"), "spanish");
  EXPECT_EQ(StemmerName("ES-mx"), "spanish");
  EXPECT_EQ(StemmerName("pt-BR"), "portuguese");
  EXPECT_EQ(StemmerName("pt_br"), "portuguese");
  EXPECT_EQ(StemmerName("en"), "english");
  EXPECT_EQ(StemmerName("qu"), "");  // Quechua: indexed unstemmed
  EXPECT_EQ(StemmerName(""), "");
}

TEST(AnalyzerTest, PluralsAndInflectionsMeetInTheirLanguage) {
  Stemmers s;
  EXPECT_EQ(s.Stem("violencias", "pt"), s.Stem("violencia", "pt"));
  EXPECT_EQ(s.Stem("violencias", "es"), s.Stem("violencia", "es"));
  EXPECT_EQ(s.Stem("practicas", "es"), s.Stem("practica", "es"));
  EXPECT_EQ(s.Stem("acoes", "pt"), s.Stem("acao", "pt"));
  EXPECT_EQ(s.Stem("mulheres", "pt"), s.Stem("mulher", "pt"));
  EXPECT_EQ(s.Stem("policies", "en"), s.Stem("policy", "en"));
  EXPECT_EQ(s.Stem("protocolos", "es"), s.Stem("protocolo", "es"));
  // Unknown languages keep the word as it is.
  EXPECT_EQ(s.Stem("warmikuna", "qu"), "warmikuna");
  // The stem is folded: an accent the stemmer kept does not matter.
  EXPECT_EQ(s.Stem("violência", "pt"), s.Stem("violencia", "pt"));
}

TEST(AnalyzerTest, StopWords) {
  EXPECT_TRUE(IsStopWord("de"));
  EXPECT_TRUE(IsStopWord("the"));
  EXPECT_TRUE(IsStopWord("para"));
  EXPECT_FALSE(IsStopWord("violencia"));
}

}  // namespace
}  // namespace minga::search
