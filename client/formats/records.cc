// Reading import files (JSON, JSON Lines, CSV) and writing export lines.
// Over 400 lines because the readers and writers share the field table
// and the list and audience syntax, and are tested as one.
#include "client/formats/records.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/formats/csv.h"
#include "client/formats/json.h"
#include "client/formats/material_fields.h"
#include "node/core/status_macros.h"
#include "node/core/text.h"

namespace minga {
namespace {

size_t EditDistance(absl::string_view a, absl::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t prev = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] != b[j - 1])});
      prev = cur;
    }
  }
  return row[b.size()];
}

std::string UnknownField(absl::string_view name) {
  std::string msg = absl::StrCat("unknown field '", name, "'");
  for (const MaterialField& f : MaterialFields()) {
    if (EditDistance(name, f.name) <= 2) {
      absl::StrAppend(&msg, " (did you mean '", f.name, "'?)");
      break;
    }
  }
  return msg;
}

absl::Status FieldError(int line, absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", field, ": ", reason));
}

// One field of a JSON material into the record, by the field's kind; null
// leaves a field unset.
absl::Status SetJsonField(const MaterialField& f, const std::string& name, const json::Value& value,
                          ImportRecord& r) {
  using T = json::Value::Type;
  switch (f.kind) {
    case FieldKind::kString:
      if (value.type == T::kNull) break;
      if (value.type != T::kString) {
        return FieldError(value.line, name,
                          absl::StrCat("expected a string, got ", value.TypeName()));
      }
      SetFieldText(f, value.string, &r.material);
      break;
    case FieldKind::kList: {
      if (value.type == T::kNull) break;
      auto list = MutableFieldList(f, &r.material);
      if (value.type == T::kString) {  // "publisher": "UNFPA" is one entry
        list.Add(value.string);
        break;
      }
      if (value.type != T::kArray) {
        return FieldError(value.line, name,
                          absl::StrCat("expected an array of strings, got ", value.TypeName()));
      }
      for (size_t i = 0; i < value.array.size(); ++i) {
        if (value.array[i].type != T::kString) {
          return FieldError(value.array[i].line, absl::StrCat(name, "[", i, "]"),
                            absl::StrCat("expected a string, got ", value.array[i].TypeName()));
        }
        list.Add(value.array[i].string);
      }
      break;
    }
    case FieldKind::kYear:
      if (value.type == T::kNull) break;
      if (value.type != T::kNumber || value.number != std::floor(value.number) ||
          value.number < 0 || value.number > 1e6) {
        return FieldError(value.line, name, "expected a whole number or null");
      }
      r.material.set_year(static_cast<uint32_t>(value.number));
      break;
    case FieldKind::kTitles:
      if (value.type == T::kNull) break;
      if (value.type != T::kObject) {
        return FieldError(
            value.line, name,
            absl::StrCat("expected an object of language: title, got ", value.TypeName()));
      }
      for (const auto& [lang, title] : value.object) {
        if (title.type != T::kString) {
          return FieldError(title.line, absl::StrCat(name, ".", lang), "expected a string");
        }
        (*r.material.mutable_other_language_titles())[lang] = title.string;
      }
      break;
    case FieldKind::kAudience: {
      if (value.type != T::kString) {
        return FieldError(value.line, name, "expected \"public\", \"private\" or \"members:a,b\"");
      }
      auto audience = ParseAudience(value.string);
      if (!audience.ok()) return FieldError(value.line, name, audience.status().message());
      r.has_audience = true;
      r.audience = *audience;
      break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ImportRecord> FromJson(const json::Value& v) {
  ImportRecord r;
  r.line = v.line;
  if (v.type != json::Value::Type::kObject) {
    return absl::InvalidArgumentError(
        absl::StrCat("line ", v.line, ": a material must be a JSON object, not ", v.TypeName()));
  }
  for (const auto& [name, value] : v.object) {
    const MaterialField* f = FindMaterialField(name);
    if (f == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", value.line, ": ", UnknownField(name)));
    }
    RETURN_IF_ERROR(SetJsonField(*f, name, value, r));
  }
  return r;
}

std::vector<std::string> SplitList(absl::string_view cell, char delimiter) {
  std::vector<std::string> out;
  const absl::string_view separators = delimiter == ';' ? "|" : "|;";
  for (absl::string_view part : absl::StrSplit(cell, absl::ByAnyChar(separators))) {
    part = absl::StripAsciiWhitespace(part);
    if (!part.empty()) out.emplace_back(part);
  }
  return out;
}

struct CsvColumn {
  const MaterialField* field = nullptr;  // null for a title.<lang> column
  std::string title_language;
  std::string name;
};

absl::StatusOr<std::vector<CsvColumn>> CsvColumns(const csv::Record& header) {
  std::vector<CsvColumn> columns;
  for (const std::string& raw : header.fields) {
    const std::string name(absl::StripAsciiWhitespace(raw));
    CsvColumn col;
    col.name = name;
    if (absl::StartsWith(name, "title.") && name.size() > 6) {
      col.title_language = name.substr(6);
    } else if ((col.field = FindMaterialField(name)) == nullptr ||
               col.field->kind == FieldKind::kTitles) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", header.line, ": header: ", UnknownField(name)));
    }
    columns.push_back(col);
  }
  return columns;
}

// One non-empty cell into the record, by its column's kind.
absl::Status SetCsvCell(const CsvColumn& col, const std::string& cell, int line, char delimiter,
                        ImportRecord& r) {
  if (col.field == nullptr) {
    (*r.material.mutable_other_language_titles())[col.title_language] = cell;
    return absl::OkStatus();
  }
  switch (col.field->kind) {
    case FieldKind::kString:
      SetFieldText(*col.field, cell, &r.material);
      break;
    case FieldKind::kList:
      for (std::string& v : SplitList(cell, delimiter)) {
        MutableFieldList(*col.field, &r.material).Add(v);
      }
      break;
    case FieldKind::kYear: {
      uint32_t year = 0;
      if (!absl::SimpleAtoi(cell, &year)) {
        return FieldError(line, col.name, absl::StrCat("'", cell, "' is not a year"));
      }
      r.material.set_year(year);
      break;
    }
    case FieldKind::kAudience: {
      auto audience = ParseAudience(cell);
      if (!audience.ok()) return FieldError(line, col.name, audience.status().message());
      r.has_audience = true;
      r.audience = *audience;
      break;
    }
    case FieldKind::kTitles:
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<ImportRecord> CsvRecord(const std::vector<CsvColumn>& columns,
                                       const csv::Record& rec, char delimiter) {
  if (rec.fields.size() != columns.size()) {
    return absl::InvalidArgumentError(absl::StrCat("line ", rec.line, ": has ", rec.fields.size(),
                                                   " fields, the header has ", columns.size()));
  }
  ImportRecord r;
  r.line = rec.line;
  for (size_t i = 0; i < columns.size(); ++i) {
    const std::string cell(absl::StripAsciiWhitespace(rec.fields[i]));
    size_t bad = 0;
    if (!IsValidUtf8(cell, &bad)) {
      return FieldError(rec.line, columns[i].name,
                        "not valid UTF-8 (was the file saved as Latin-1? convert it "
                        "with: iconv -f latin1 -t utf-8)");
    }
    if (cell.empty()) continue;
    RETURN_IF_ERROR(SetCsvCell(columns[i], cell, rec.line, delimiter, r));
  }
  return r;
}

ParsedFile ParseCsv(absl::string_view text) {
  ParsedFile file;
  csv::Reader reader(text);
  auto header = reader.Next();
  if (!header.ok() || !header->has_value()) {
    file.fatal =
        header.ok() ? absl::InvalidArgumentError("line 1: the file is empty") : header.status();
    return file;
  }
  absl::StatusOr<std::vector<CsvColumn>> columns = CsvColumns(**header);
  if (!columns.ok()) {
    file.fatal = columns.status();
    return file;
  }
  while (true) {
    auto row = reader.Next();
    if (!row.ok()) {
      file.fatal = row.status();
      return file;
    }
    if (!row->has_value()) return file;
    ParsedRecord parsed;
    parsed.line = (*row)->line;
    parsed.record = CsvRecord(*columns, **row, reader.delimiter());
    file.records.push_back(std::move(parsed));
  }
}

}  // namespace

FileFormat DetectFormat(absl::string_view path, absl::string_view text) {
  if (absl::EndsWith(path, ".jsonl") || absl::EndsWith(path, ".ndjson")) {
    return FileFormat::kJsonLines;
  }
  if (absl::EndsWith(path, ".json")) return FileFormat::kJson;
  if (absl::EndsWith(path, ".csv")) return FileFormat::kCsv;
  for (char c : text) {
    if (c == '[') return FileFormat::kJson;
    if (c == '{') return FileFormat::kJsonLines;
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) break;
  }
  return FileFormat::kCsv;
}

absl::StatusOr<FileFormat> ParseFormatName(absl::string_view name) {
  if (name == "json") return FileFormat::kJson;
  if (name == "jsonl" || name == "ndjson") return FileFormat::kJsonLines;
  if (name == "csv") return FileFormat::kCsv;
  return absl::InvalidArgumentError(
      absl::StrCat("--format: '", name, "' is not one of json, jsonl, csv"));
}

ParsedFile ParseImportFile(absl::string_view text, FileFormat format) {
  ParsedFile file;
  if (format == FileFormat::kCsv) return ParseCsv(text);
  if (format == FileFormat::kJson) {
    file.fatal = json::ReadArray(text, [&](json::Value v) {
      ParsedRecord r;
      r.line = v.line;
      r.record = FromJson(v);
      file.records.push_back(std::move(r));
    });
    return file;
  }
  JsonLinesReader reader(text);
  while (std::optional<ParsedRecord> r = reader.Next()) file.records.push_back(*std::move(r));
  return file;
}

std::optional<absl::string_view> JsonLinesReader::NextLine() {
  while (!done_) {
    // Like splitting on '\n': text without a final newline ends with a
    // line, and text ending in one ends with an empty line.
    const size_t end = rest_.find('\n');
    done_ = end == absl::string_view::npos;
    absl::string_view raw = rest_.substr(0, end);
    rest_.remove_prefix(done_ ? rest_.size() : end + 1);
    ++line_;
    if (line_ == 1 && raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);
    if (!absl::StripAsciiWhitespace(raw).empty()) return raw;
  }
  return std::nullopt;
}

std::optional<ParsedRecord> JsonLinesReader::Next() {
  std::optional<absl::string_view> raw = NextLine();
  if (!raw.has_value()) return std::nullopt;
  ParsedRecord r;
  r.line = line_;
  absl::StatusOr<json::Value> v = json::Parse(*raw);
  if (!v.ok()) {
    // Parse counts lines within the record: name the file's line instead.
    r.record = absl::InvalidArgumentError(
        absl::StrCat("line ", line_, ": ", absl::StripPrefix(v.status().message(), "line 1: ")));
  } else {
    v->line = line_;
    r.record = FromJson(*v);
    if (!r.record.ok()) {
      r.record = absl::InvalidArgumentError(absl::StrCat(
          "line ", line_, ": ", absl::StripPrefix(r.record.status().message(), "line 1: ")));
    }
  }
  return r;
}

size_t JsonLinesReader::Count(absl::string_view text) {
  JsonLinesReader reader(text);
  size_t n = 0;
  while (reader.NextLine().has_value()) ++n;
  return n;
}

absl::StatusOr<ImportRecord> ParseMaterialJson(absl::string_view text) {
  absl::StatusOr<json::Value> v = json::Parse(text);
  if (!v.ok()) return v.status();
  return FromJson(*v);
}

absl::StatusOr<v1::Audience> ParseAudience(absl::string_view text) {
  v1::Audience a;
  const std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (t == "public") {
    a.set_scope(v1::Audience::PUBLIC);
  } else if (t == "private") {
    a.set_scope(v1::Audience::PRIVATE);
  } else if (absl::StartsWith(t, "members:")) {
    a.set_scope(v1::Audience::MEMBERS);
    for (absl::string_view m : absl::StrSplit(t.substr(8), ',', absl::SkipWhitespace())) {
      a.add_members(std::string(absl::StripAsciiWhitespace(m)));
    }
    if (a.members().empty()) {
      return absl::InvalidArgumentError("'members:' lists no org id");
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'", text, "' is not public, private or members:<org>,<org>"));
  }
  return a;
}

std::string AudienceToString(const v1::Audience& a) {
  switch (a.scope()) {
    case v1::Audience::PRIVATE:
      return "private";
    case v1::Audience::MEMBERS:
      return absl::StrCat("members:", absl::StrJoin(a.members(), ","));
    default:
      return "public";
  }
}

std::string MaterialToJson(const v1::Material& m, const v1::Audience& audience) {
  std::string out = "{";
  for (const MaterialField& f : MaterialFields()) {
    if (out.size() > 1) out += ",";
    json::AppendString(f.name, &out);
    out += ":";
    switch (f.kind) {
      case FieldKind::kString:
        json::AppendString(FieldText(f, m, ""), &out);
        break;
      case FieldKind::kList: {
        out += "[";
        const auto list = FieldList(f, m);
        for (int i = 0; i < list.size(); ++i) {
          if (i) out += ",";
          json::AppendString(list.Get(i), &out);
        }
        out += "]";
        break;
      }
      case FieldKind::kYear:
        out += m.year() == 0 ? "null" : absl::StrCat(m.year());
        break;
      case FieldKind::kTitles: {
        // Sorted, so an export is the same from run to run.
        const std::map<std::string, std::string> titles(m.other_language_titles().begin(),
                                                        m.other_language_titles().end());
        out += "{";
        for (const auto& [lang, title] : titles) {
          if (out.back() != '{') out += ",";
          json::AppendString(lang, &out);
          out += ":";
          json::AppendString(title, &out);
        }
        out += "}";
        break;
      }
      case FieldKind::kAudience:
        json::AppendString(AudienceToString(audience), &out);
        break;
    }
  }
  out += "}";
  return out;
}

std::string CsvHeader(const std::vector<std::string>& title_languages) {
  std::string out;
  for (const MaterialField& f : MaterialFields()) {
    if (f.kind == FieldKind::kTitles) {
      for (const std::string& lang : title_languages) absl::StrAppend(&out, "title.", lang, ",");
      continue;
    }
    absl::StrAppend(&out, f.name, ",");
  }
  out.pop_back();
  return out;
}

std::string MaterialToCsv(const v1::Material& m, const v1::Audience& audience,
                          const std::vector<std::string>& title_languages) {
  std::string out;
  for (const MaterialField& f : MaterialFields()) {
    std::string cell;
    switch (f.kind) {
      case FieldKind::kString:
      case FieldKind::kList:
      case FieldKind::kYear:
        cell = FieldText(f, m, "|");
        break;
      case FieldKind::kAudience:
        cell = AudienceToString(audience);
        break;
      case FieldKind::kTitles:
        for (const std::string& lang : title_languages) {
          auto it = m.other_language_titles().find(lang);
          csv::AppendField(it == m.other_language_titles().end() ? "" : it->second, ',', &out);
          out += ",";
        }
        continue;
    }
    csv::AppendField(cell, ',', &out);
    out += ",";
  }
  out.pop_back();
  return out;
}

}  // namespace minga
