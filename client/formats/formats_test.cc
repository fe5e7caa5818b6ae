#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "client/formats/csv.h"
#include "client/formats/json.h"
#include "client/formats/material_fields.h"
#include "client/formats/records.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/core/validate.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Sample() {
  std::ifstream in(testing::SampleMaterialsPath());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(JsonTest, ParsesValuesEscapesAndLines) {
  ASSERT_OK_AND_ASSIGN(
      json::Value v,
      json::Parse("{\n \"a\": [1, -2.5e1, true, null],\n \"b\": \"\\u00e1\\ud83d\\ude00\\n\"}"));
  ASSERT_EQ(v.object.size(), 2u);
  EXPECT_EQ(v.object[0].value.array[1].number, -25);
  EXPECT_EQ(v.object[1].value.string, "á😀\n");
  EXPECT_EQ(v.object[1].value.line, 3);
  EXPECT_EQ(v.object[0].value.line, 2);
  EXPECT_EQ(v.object[0].value.array[3].line, 2);
}

// A member holding an object keeps its name (the names of the inner object
// must not take its place), and a number at the end of a line is on its line.
TEST(JsonTest, NestedMembersKeepTheirNamesAndLines) {
  ASSERT_OK_AND_ASSIGN(json::Value v,
                       json::Parse("{\"outer\": {\"inner\": 2020\n}, \"after\":\n [\n true]}"));
  ASSERT_EQ(v.object.size(), 2u);
  EXPECT_EQ(v.object[0].name, "outer");
  EXPECT_EQ(v.object[0].value.object[0].name, "inner");
  EXPECT_EQ(v.object[0].value.object[0].value.line, 1);
  EXPECT_EQ(v.object[1].name, "after");
  EXPECT_EQ(v.object[1].value.line, 3);
  EXPECT_EQ(v.object[1].value.array[0].line, 4);
}

TEST(JsonTest, RejectsMalformedInputNamingTheLine) {
  EXPECT_THAT(
      json::Parse("{\"a\": 1,\n \"a\": 2}"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2: member 'a' appears twice")));
  EXPECT_THAT(json::Parse("[1, 2"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("truncated")));
  EXPECT_THAT(json::Parse("\"abc"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not closed")));
  EXPECT_THAT(json::Parse("\"\\ud800\""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("surrogate")));
  EXPECT_THAT(json::Parse("\"\xC3\x28\""),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_THAT(json::Parse("{} x"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 1: ")));
  EXPECT_THAT(json::Parse(std::string(100, '[')),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("nested too deeply")));
  EXPECT_THAT(json::Parse("{\n\"a\": [1,\n 2,,3]}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 3: ")));
  // nlohmann's "last read" echo is left out: it can be the rest of the file.
  EXPECT_THAT(json::Parse("\"" + std::string(10000, 'x')),
              StatusIs(absl::StatusCode::kInvalidArgument, Not(HasSubstr("xxxxxxxx"))));
}

// Whether two trees are the same, lines included.
bool SameTree(const json::Value& a, const json::Value& b) {
  if (a.type != b.type || a.line != b.line || a.boolean != b.boolean || a.number != b.number ||
      std::signbit(a.number) != std::signbit(b.number) || a.string != b.string ||
      a.array.size() != b.array.size() || a.object.size() != b.object.size()) {
    return false;
  }
  for (size_t i = 0; i < a.array.size(); ++i) {
    if (!SameTree(a.array[i], b.array[i])) return false;
  }
  for (size_t i = 0; i < a.object.size(); ++i) {
    if (a.object[i].name != b.object[i].name || !SameTree(a.object[i].value, b.object[i].value)) {
      return false;
    }
  }
  return true;
}

// What the fast path gives for a line is what nlohmann's parse gives (where
// it gives nothing, Parse is nlohmann's). Returns whether it gave a value.
bool ExpectParsedAsNlohmannDoes(const std::string& line) {
  std::optional<json::Value> fast = json::ParseOneLine(line);
  if (!fast.has_value()) return false;
  absl::StatusOr<json::Value> slow = json::ParseWithNlohmann(line);
  EXPECT_TRUE(slow.ok()) << line << "\n" << slow.status();
  if (slow.ok()) {
    EXPECT_TRUE(SameTree(*fast, *slow)) << line;
  }
  return true;
}

TEST(JsonTest, OneLineParsesAsNlohmannParsesIt) {
  std::vector<std::string> lines = {
      "{}",
      "[]",
      "null",
      "true",
      "0",
      "-0",
      "-0.0",
      "1e2",
      "-2.5e-3",
      "9223372036854775807",
      "9223372036854775808",
      "18446744073709551615",
      "18446744073709551616",
      "1e400",
      "-9223372036854775809",
      "\"\\u00e1\\ud83d\\ude00\\n\\t\\\"\\/\"",
      "\"\\u0000\"",
      "\"\\ud800\"",
      "\"\\udc00\"",
      "\"\\ud800\\u0041\"",
      "\"\xC3\x28\"",
      "\"a\x01\"",
      "{\"a\": 1, \"a\": 2}",
      "{\"a\": {\"b\": 1, \"b\": 1}}",
      "{\"a\": 1, \"A\": 2}",
      "{} x",
      "[1,]",
      "[1 2]",
      "01",
      "1.",
      "tru",
      "",
      "   ",
      "\"abc",
      "{\"a\" 1}",
      "[1, 2",
      std::string("{}\0x", 4),
      "\xEF\xBB\xBF{}",
      "{}\r",
      "-1e-400",
      "0e9999999999999999999",
      "1.2345678901234567890123e5",
      "1234567890123456789012345",
      "\"\\udc00\\ud800\"",
      "{\"year\": 2020, \"sectors\": [\"health\", \"justice\"], \"x\": [[], {}, [null]]}"};
  // Nesting up to the tree's limit and one past it, of arrays and objects.
  for (int depth : {63, 64, 65, 1100}) {
    lines.push_back(std::string(depth, '[') + std::string(depth, ']'));
    std::string objects;
    for (int i = 0; i < depth; ++i) objects += "{\"k\":";
    objects += "1" + std::string(depth, '}');
    lines.push_back(objects);
  }
  // Every sample as an export line; each cut short, and each with bytes
  // changed (a fixed pseudo-random walk, so a failure repeats).
  ParsedFile sample = ParseImportFile(Sample(), FileFormat::kJson);
  ASSERT_EQ(sample.records.size(), 60u);
  uint64_t state = 1;
  const std::string alphabet =
      "{}[]\",:\\ 0-eE.tfnu\x01\xC3\x80"
      "a";
  for (const ParsedRecord& r : sample.records) {
    ASSERT_TRUE(r.record.ok());
    const std::string line = MaterialToJson(r.record->material, r.record->audience);
    ASSERT_EQ(line.find('\n'), std::string::npos);
    EXPECT_TRUE(ExpectParsedAsNlohmannDoes(line)) << "the fast path refused " << line;
    for (size_t cut = 0; cut < line.size(); cut += 41) lines.push_back(line.substr(0, cut));
    for (int k = 0; k < 40; ++k) {
      std::string changed = line;
      state = state * 6364136223846793005u + 1442695040888963407u;
      changed[(state >> 33) % changed.size()] = alphabet[(state >> 17) % alphabet.size()];
      lines.push_back(changed);
    }
  }
  for (const std::string& line : lines) ExpectParsedAsNlohmannDoes(line);
}

// Every prefix of the real sample file: never a crash; the records before
// the cut are read, and the cut is reported.
TEST(JsonTest, EveryTruncationOfTheSampleIsReportedAndKeepsEarlierRecords) {
  const std::string sample = Sample();
  ASSERT_GT(sample.size(), 1000u);
  // Where each top-level object of the sample ends (its closing brace is
  // the only one at two spaces of indent).
  std::vector<size_t> ends;
  for (size_t at = sample.find("\n  }"); at != std::string::npos;
       at = sample.find("\n  }", at + 1)) {
    ends.push_back(at + 4);
  }
  ASSERT_EQ(ends.size(), 60u);
  for (size_t cut = 0; cut < sample.size(); cut += 97) {
    ParsedFile file = ParseImportFile(sample.substr(0, cut), FileFormat::kJson);
    EXPECT_FALSE(file.fatal.ok()) << "cut at " << cut;
    // Every object that ended before the cut is kept, and nothing more.
    const size_t complete = std::upper_bound(ends.begin(), ends.end(), cut) - ends.begin();
    EXPECT_EQ(file.records.size(), complete) << "cut at " << cut;
    for (const ParsedRecord& r : file.records) EXPECT_TRUE(r.record.ok()) << r.record.status();
  }
}

// The field table is the client's one list of material fields: a field added
// to Material and not to the table fails here, not silently in an export.
TEST(MaterialFieldsTest, EveryMaterialFieldIsInTheTableWithItsKind) {
  const auto* d = v1::Material::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const auto* field = d->field(i);
    if (field->name() == "files") continue;  // attached with `minga attach`, not written
    const MaterialField* f = FindMaterialField(field->name());
    ASSERT_NE(f, nullptr) << field->name() << " is missing from MaterialFields()";
    EXPECT_EQ(f->descriptor, field);
    if (field->is_map()) {
      EXPECT_EQ(f->kind, FieldKind::kTitles) << field->name();
    } else if (field->is_repeated()) {
      EXPECT_EQ(f->kind, FieldKind::kList) << field->name();
    } else if (field->type() == google::protobuf::FieldDescriptor::TYPE_STRING) {
      EXPECT_EQ(f->kind, FieldKind::kString) << field->name();
    } else {
      EXPECT_EQ(f->kind, FieldKind::kYear) << field->name();
    }
  }
  for (const MaterialField& f : MaterialFields()) {
    EXPECT_EQ(f.descriptor == nullptr, f.kind == FieldKind::kAudience) << f.name;
  }
}

// Export then import gives back every field.
TEST(MaterialFieldsTest, JsonAndCsvExportsReadBackWhole) {
  v1::Material m;
  m.set_id("ana/guia");
  m.set_title("Guía de atención");
  m.set_title_language("es");
  (*m.mutable_other_language_titles())["pt"] = "Guia de atendimento";
  m.set_summary("Resumen, con \"comillas\" y | barras");
  m.add_languages("es");
  m.set_kind("guide");
  m.add_sectors("health");
  m.add_sectors("justice");
  m.add_populations("indigenous");
  m.add_countries("PE");
  m.add_topics("first-response");
  m.add_publisher("UNFPA");
  m.set_year(2021);
  m.set_license("CC-BY-4.0");
  m.set_url("https://example.org/guia");
  m.set_source("test");
  v1::Audience audience;
  audience.set_scope(v1::Audience::MEMBERS);
  audience.add_members("luz");
  ASSERT_OK_AND_ASSIGN(ImportRecord json, ParseMaterialJson(MaterialToJson(m, audience)));
  EXPECT_EQ(json.material.SerializeAsString(), m.SerializeAsString())
      << json.material.DebugString();
  EXPECT_EQ(AudienceToString(json.audience), "members:luz");
  ParsedFile csv = ParseImportFile(
      absl::StrCat(CsvHeader({"pt"}), "\n", MaterialToCsv(m, audience, {"pt"}), "\n"),
      FileFormat::kCsv);
  ASSERT_TRUE(csv.fatal.ok()) << csv.fatal;
  ASSERT_EQ(csv.records.size(), 1u);
  ASSERT_TRUE(csv.records[0].record.ok()) << csv.records[0].record.status();
  EXPECT_EQ(csv.records[0].record->material.SerializeAsString(), m.SerializeAsString());
}

TEST(RecordsTest, SampleFileReadsAsSixtyValidMaterials) {
  ParsedFile file = ParseImportFile(Sample(), FileFormat::kJson);
  ASSERT_TRUE(file.fatal.ok()) << file.fatal;
  ASSERT_EQ(file.records.size(), 60u);
  for (const ParsedRecord& r : file.records) {
    ASSERT_TRUE(r.record.ok()) << r.record.status();
    v1::Material m = r.record->material;
    NormalizeMaterial(&m);
    EXPECT_TRUE(ValidateMaterial(m, Strictness::kLocal).ok())
        << m.id() << ": " << ValidateMaterial(m, Strictness::kLocal);
  }
  EXPECT_EQ(file.records[0].record->material.publisher_size(), 5);
  EXPECT_EQ(file.records[1].record->material.year(), 2015u);
}

TEST(RecordsTest, FieldErrorsNameLineAndField) {
  ParsedFile file = ParseImportFile(
      "[\n{\"title\": \"a\", \"sector\": [\"health\"]},\n"
      "{\"title\": \"b\", \"year\": \"2020\"},\n"
      "{\"title\": \"c\", \"sectors\": [\"health\", 3]},\n"
      "{\"title\": \"d\", \"audience\": \"friends\"}\n]",
      FileFormat::kJson);
  ASSERT_TRUE(file.fatal.ok());
  ASSERT_EQ(file.records.size(), 4u);
  EXPECT_THAT(file.records[0].record,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("line 2: unknown field 'sector' (did you mean 'sectors'?)")));
  EXPECT_THAT(file.records[1].record,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 3: year")));
  EXPECT_THAT(file.records[2].record,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 4: sectors[1]")));
  EXPECT_THAT(file.records[3].record,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 5: audience")));
}

TEST(RecordsTest, JsonLinesKeepsGoingAfterABadLine) {
  ParsedFile file = ParseImportFile(
      "{\"title\": \"a\"}\n{\"title\": \n\n{\"title\": \"c\", \"audience\": \"members:x,y\"}\n",
      FileFormat::kJsonLines);
  ASSERT_EQ(file.records.size(), 3u);
  EXPECT_TRUE(file.records[0].record.ok());
  EXPECT_THAT(file.records[1].record,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2:")));
  ASSERT_TRUE(file.records[2].record.ok());
  EXPECT_EQ(file.records[2].line, 4);
  EXPECT_EQ(file.records[2].record->audience.members_size(), 2);
}

// What an import sends as it reads: the count that sizes its progress
// bar, and each record's line, whatever the file's blank lines, byte-order
// mark, line endings or last newline.
TEST(RecordsTest, JsonLinesReaderCountsAndNumbersEveryRecord) {
  const struct {
    std::string text;
    std::vector<int> lines;
  } cases[] = {
      {"", {}},
      {"\n\n  \n", {}},
      {"{\"title\": \"a\"}", {1}},
      {"{\"title\": \"a\"}\n", {1}},
      {"\xEF\xBB\xBF{\"title\": \"a\"}\r\n\r\n{\"title\": \"b\"}\r\n", {1, 3}},
      {"\xEF\xBB\xBF\n{\"title\": \"a\"}", {2}},
      {"\n{\"title\": \n\t\n{\"title\": \"c\"}\n{\"title\": 3}", {2, 4, 5}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.text));
    EXPECT_EQ(JsonLinesReader::Count(c.text), c.lines.size());
    JsonLinesReader reader(c.text);
    std::vector<int> lines;
    while (std::optional<ParsedRecord> r = reader.Next()) lines.push_back(r->line);
    EXPECT_EQ(lines, c.lines);
    EXPECT_FALSE(reader.Next().has_value());  // stays at the end
  }
}

TEST(CsvTest, QuotesNewlinesAndSemicolons) {
  csv::Reader r("a;b;c\n\"x;1\";\"line\nbreak\";\"say \"\"hi\"\"\"\r\n4;5;6");
  EXPECT_EQ(r.delimiter(), ';');
  ASSERT_OK_AND_ASSIGN(auto header, r.Next());
  ASSERT_OK_AND_ASSIGN(auto row, r.Next());
  EXPECT_EQ(row->line, 2);
  EXPECT_THAT(row->fields, ::testing::ElementsAre("x;1", "line\nbreak", "say \"hi\""));
  ASSERT_OK_AND_ASSIGN(auto next, r.Next());
  EXPECT_EQ(next->line, 4);
  ASSERT_OK_AND_ASSIGN(auto end, r.Next());
  EXPECT_FALSE(end.has_value());
  csv::Reader open("a,b\n1,\"never closed\n");
  ASSERT_OK(open.Next().status());
  EXPECT_THAT(open.Next(), StatusIs(absl::StatusCode::kInvalidArgument,
                                    HasSubstr("line 2: a quoted field is not closed")));
}

TEST(CsvTest, RowsBecomeMaterialsAndBadRowsAreNamed) {
  ParsedFile file = ParseImportFile(
      "title,title.pt,kind,sectors,year,audience\n"
      "Guía,Guia,guide,health|justice,2020,public\n"
      "Dos,,guide,health,20x0,\n"
      "Tres,,guide\n",
      FileFormat::kCsv);
  ASSERT_TRUE(file.fatal.ok());
  ASSERT_EQ(file.records.size(), 3u);
  ASSERT_TRUE(file.records[0].record.ok());
  const v1::Material& m = file.records[0].record->material;
  EXPECT_THAT(m.sectors(), ::testing::ElementsAre("health", "justice"));
  EXPECT_EQ(m.other_language_titles().at("pt"), "Guia");
  EXPECT_THAT(file.records[1].record,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 3: year")));
  EXPECT_THAT(file.records[2].record,
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 4: has 3 fields")));
  ParsedFile bad_header = ParseImportFile("titel,kind\nx,guide\n", FileFormat::kCsv);
  EXPECT_THAT(bad_header.fatal,
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown field 'titel' (did you mean 'title'?)")));
}

TEST(RecordsTest, ExportReadsBackIdentically) {
  ParsedFile file = ParseImportFile(Sample(), FileFormat::kJson);
  v1::Audience members;
  members.set_scope(v1::Audience::MEMBERS);
  members.add_members("a");
  members.add_members("b");
  std::string jsonl, csv_text = CsvHeader({"es", "pt"}) + "\n";
  for (const ParsedRecord& r : file.records) {
    jsonl += MaterialToJson(r.record->material, members) + "\n";
    csv_text += MaterialToCsv(r.record->material, members, {"es", "pt"}) + "\n";
  }
  ParsedFile back = ParseImportFile(jsonl, FileFormat::kJsonLines);
  ParsedFile back_csv = ParseImportFile(csv_text, FileFormat::kCsv);
  ASSERT_EQ(back.records.size(), file.records.size());
  ASSERT_EQ(back_csv.records.size(), file.records.size());
  for (size_t i = 0; i < file.records.size(); ++i) {
    ASSERT_TRUE(back.records[i].record.ok()) << back.records[i].record.status();
    ASSERT_TRUE(back_csv.records[i].record.ok()) << back_csv.records[i].record.status();
    EXPECT_EQ(back.records[i].record->material.SerializeAsString(),
              file.records[i].record->material.SerializeAsString());
    EXPECT_EQ(back.records[i].record->audience.members_size(), 2);
    v1::Material from_csv = back_csv.records[i].record->material;
    v1::Material original = file.records[i].record->material;
    EXPECT_EQ(from_csv.title(), original.title());
    EXPECT_EQ(from_csv.summary(), original.summary());
    EXPECT_EQ(from_csv.sectors_size(), original.sectors_size());
  }
}

}  // namespace
}  // namespace minga
