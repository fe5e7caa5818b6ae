#include "node/core/text.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/core/ids.h"
#include "node/core/vocabulary.h"

namespace minga {
namespace {

using ::testing::ElementsAre;

TEST(TextTest, FoldsCaseAndAccents) {
  EXPECT_EQ(FoldText("PRÁCTICA"), "practica");
  EXPECT_EQ(FoldText("Ñandú Ação Çà Über"), "nandu acao ca uber");
  EXPECT_EQ(FoldText("Straße Œuvre Łódź"), "strasse oeuvre lodz");
  // Decomposed accents (e + combining acute) fold like composed ones.
  EXPECT_EQ(FoldText("pra\xCC\x81"
                     "ctica"),
            "practica");
}

TEST(TextTest, Utf8Validity) {
  size_t bad = 0;
  EXPECT_TRUE(IsValidUtf8("práctica"));
  EXPECT_FALSE(
      IsValidUtf8("pr\xE1"
                  "ctica",
                  &bad));
  EXPECT_EQ(bad, 2u);
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));      // truncated
  EXPECT_EQ(Utf8Length("ação"), 4u);
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
  EXPECT_EQ(SlugFromText("Protocolo de Atención: ¡Víctimas!"), "protocolo-de-atencion-victimas");
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
