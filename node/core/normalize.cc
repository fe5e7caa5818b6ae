// Normalisation of a material before it is validated and signed: trimmed
// text, canonical case for language tags, countries and vocabularies, and
// list values without duplicates. Declared in validate.h.
#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "node/core/text.h"
#include "node/core/validate.h"

namespace minga {
namespace {

using ::google::protobuf::RepeatedPtrField;

std::string Trimmed(absl::string_view s) { return std::string(absl::StripAsciiWhitespace(s)); }

template <typename Fn>
void MapStrings(RepeatedPtrField<std::string>* values, Fn fn) {
  RepeatedPtrField<std::string> out;
  std::set<std::string> seen;
  for (const std::string& v : *values) {
    std::string n = fn(Trimmed(v));
    if (n.empty() || !seen.insert(n).second) continue;
    *out.Add() = std::move(n);
  }
  values->Swap(&out);
}

std::string NormalizeTopic(absl::string_view t) {
  std::string out;
  for (char c : FoldText(t)) {
    if (c == ' ' || c == '_' || c == '-') {
      if (!out.empty() && out.back() != '-') out.push_back('-');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

}  // namespace

std::string NormalizeLanguage(absl::string_view tag) {
  std::string out;
  size_t start = 0;
  bool first = true;
  while (start <= tag.size()) {
    size_t end = tag.find_first_of("-_", start);
    if (end == absl::string_view::npos) end = tag.size();
    std::string sub(tag.substr(start, end - start));
    if (first) {
      absl::AsciiStrToLower(&sub);
    } else if (sub.size() == 2) {
      absl::AsciiStrToUpper(&sub);  // region: pt-BR
    } else if (sub.size() == 4) {
      absl::AsciiStrToLower(&sub);  // script: sr-Latn
      if (!sub.empty()) sub[0] = absl::ascii_toupper(sub[0]);
    }
    if (!first) out.push_back('-');
    out += sub;
    first = false;
    if (end == tag.size()) break;
    start = end + 1;
  }
  return out;
}

std::string NormalizeCountry(absl::string_view c) {
  std::string lower = absl::AsciiStrToLower(c);
  if (lower == "global") return "global";
  if (lower == "lac") return "LAC";
  return absl::AsciiStrToUpper(c);
}

void NormalizeMaterial(v1::Material* m) {
  m->set_id(absl::AsciiStrToLower(Trimmed(m->id())));
  m->set_title(Trimmed(m->title()));
  m->set_title_language(NormalizeLanguage(Trimmed(m->title_language())));
  m->set_summary(Trimmed(m->summary()));
  m->set_kind(absl::AsciiStrToLower(Trimmed(m->kind())));
  m->set_license(Trimmed(m->license()));
  m->set_url(Trimmed(m->url()));
  m->set_source(Trimmed(m->source()));

  // Map keys cannot be changed in place: rebuild the map.
  google::protobuf::Map<std::string, std::string> titles;
  for (const auto& [lang, title] : m->other_language_titles()) {
    const std::string t = Trimmed(title);
    if (!t.empty()) titles[NormalizeLanguage(Trimmed(lang))] = t;
  }
  m->mutable_other_language_titles()->swap(titles);

  MapStrings(m->mutable_languages(), [](std::string v) { return NormalizeLanguage(v); });
  if (m->languages().empty()) {
    if (!m->title_language().empty()) m->add_languages(m->title_language());
    std::set<std::string> keys;
    for (const auto& [lang, unused] : m->other_language_titles()) {
      keys.insert(lang);
    }
    for (const std::string& lang : keys) {
      if (lang != m->title_language()) m->add_languages(lang);
    }
  }
  auto to_vocab = [](std::string v) {
    std::string lower = absl::AsciiStrToLower(v);
    std::replace(lower.begin(), lower.end(), ' ', '_');
    return lower;
  };
  MapStrings(m->mutable_sectors(), to_vocab);
  MapStrings(m->mutable_populations(), to_vocab);
  MapStrings(m->mutable_countries(), [](std::string v) { return NormalizeCountry(v); });
  MapStrings(m->mutable_topics(), [](std::string v) { return NormalizeTopic(v); });
  MapStrings(m->mutable_publisher(), [](std::string v) { return v; });
}

}  // namespace minga
