#include "node/core/text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/core/ids.h"
#include "node/core/tokenizer.h"
#include "node/core/vocabulary.h"

namespace minga {
namespace {

using ::testing::ElementsAre;

TEST(TextTest, FoldsCaseAndAccents) {
  EXPECT_EQ(FoldText("PRÁCTICA"), "practica");
  EXPECT_EQ(FoldText("Ñandú Ação Çà Über"), "nandu acao ca uber");
  EXPECT_EQ(FoldText("Straße Œuvre Łódź"), "strasse oeuvre lodz");
  // Decomposed accents (e + combining acute) fold like composed ones.
  EXPECT_EQ(FoldText("pra\xCC\x81" "ctica"), "practica");
}

TEST(TextTest, Utf8Validity) {
  size_t bad = 0;
  EXPECT_TRUE(IsValidUtf8("práctica"));
  EXPECT_FALSE(IsValidUtf8("pr\xE1" "ctica", &bad));
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));      // truncated
  EXPECT_EQ(Utf8Length("ação"), 4u);
}

TEST(TokenizerTest, AccentAndCaseInsensitive) {
  EXPECT_EQ(Terms("PRÁCTICA"), Terms("practica"));
  EXPECT_EQ(Terms("prácticas"), Terms("practica"));
  EXPECT_EQ(Terms("Violencia Sexual"), Terms("violencia sexual"));
}

TEST(TokenizerTest, PluralsMeetInThreeLanguages) {
  EXPECT_EQ(Stem("mujeres"), Stem("mujer"));        // es
  EXPECT_EQ(Stem("victimas"), Stem("victima"));     // es
  EXPECT_EQ(Stem("atenciones"), Stem("atencion"));  // es
  EXPECT_EQ(Stem("acoes"), Stem("acao"));           // pt: ações / ação
  EXPECT_EQ(Stem("nacionais"), Stem("nacional"));   // pt
  EXPECT_EQ(Stem("policies"), Stem("policy"));      // en
  EXPECT_EQ(Stem("services"), Stem("service"));     // en
  EXPECT_EQ(Stem("analisis"), "analisis");          // not a plural
}

TEST(TokenizerTest, DropsStopWordsAndPunctuation) {
  EXPECT_THAT(SplitWords("Guía, para la atención (2015)!"),
              ElementsAre("guia", "para", "la", "atencion", "2015"));
  EXPECT_THAT(Terms("the guide of the police"), ElementsAre("guid", "polic"));
  EXPECT_TRUE(Terms("de la y el").empty());
}

TEST(IdsTest, OrgAndMaterialIds) {
  EXPECT_TRUE(IsValidOrgId("unw-lac"));
  EXPECT_FALSE(IsValidOrgId("a"));
  EXPECT_FALSE(IsValidOrgId("-ab"));
  EXPECT_FALSE(IsValidOrgId("Abc"));
  EXPECT_TRUE(ParseMaterialId("org/esp-module-1", "id").ok());
  EXPECT_FALSE(ParseMaterialId("org/", "id").ok());
  EXPECT_FALSE(ParseMaterialId("org/-x", "id").ok());
  EXPECT_FALSE(ParseMaterialId("noslash", "id").ok());
  EXPECT_EQ(SlugFromText("Protocolo de Atención: ¡Víctimas!"),
            "protocolo-de-atencion-victimas");
}

TEST(VocabularyTest, CountriesAndLanguages) {
  EXPECT_TRUE(IsCountry("GT"));
  EXPECT_TRUE(IsCountry("ZW"));
  EXPECT_TRUE(IsCountry("AD"));
  EXPECT_TRUE(IsCountry("LAC"));
  EXPECT_FALSE(IsCountry("XX"));
  EXPECT_FALSE(IsCountry("gt"));
  EXPECT_TRUE(IsLanguageTag("qu"));
  EXPECT_TRUE(IsLanguageTag("pt-BR"));
  EXPECT_TRUE(IsLanguageTag("es-419"));
  EXPECT_FALSE(IsLanguageTag("e"));
  EXPECT_FALSE(IsLanguageTag("es--x"));
  EXPECT_FALSE(IsLanguageTag("español"));
}

}  // namespace
}  // namespace minga

namespace minga {
namespace {

TEST(TokenizerTest, SpanishPortugueseAndEnglishLetters) {
  EXPECT_THAT(SplitWords("Niña, pingüino, coração, ação, Über"),
              ::testing::ElementsAre("nina", "pinguino", "coracao", "acao", "uber"));
  EXPECT_EQ(Terms("AÇÕES"), Terms("ação"));
  EXPECT_EQ(Terms("Violência"), Terms("violencia"));
  EXPECT_EQ(Terms("mulheres"), Terms("mulher"));
}

}  // namespace
}  // namespace minga

namespace minga {
namespace {

TEST(TokenizerTest, LongWordsAreCutAtACharacterBoundary) {
  std::string word = "NiUnaMenos";
  for (int i = 0; i < 20; ++i) word += "\xF0\x9F\x92\x9C";  // purple hearts
  for (const std::string& w : SplitWords(word + " 女性への暴力女性への暴力女性への暴力女性への暴力女性への暴力女性への暴力")) {
    EXPECT_LE(w.size(), 64u);
    EXPECT_TRUE(IsValidUtf8(w)) << w;
  }
}

}  // namespace
}  // namespace minga
