#include "client/harvest/mapping.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"
#include "node/core/crypto.h"
#include "node/core/validate.h"
#include "node/core/vocabulary.h"

namespace minga::harvest {
namespace {

// The region's common terms in Spanish, Portuguese and English, and the
// type vocabularies of DSpace and OpenAIRE (info:eu-repo) repositories.
constexpr absl::string_view kDefaultMapping = R"({
  "kind": {
    "text": "report", "article": "report", "report": "report", "informe": "report",
    "relatório": "report", "book": "report", "thesis": "report",
    "info:eu-repo/semantics/article": "report", "info:eu-repo/semantics/report": "report",
    "info:eu-repo/semantics/book": "report", "info:eu-repo/semantics/workingpaper": "report",
    "info:eu-repo/semantics/other": "report",
    "guía": "guide", "guia": "guide", "manual": "guide", "protocolo": "protocol",
    "caja de herramientas": "toolkit", "capacitación": "training", "capacitação": "training",
    "curso": "training", "política": "policy", "politica": "policy", "ley": "policy",
    "law": "policy", "modelo": "model", "práctica": "practice", "prática": "practice",
    "buena práctica": "practice", "conjunto de datos": "dataset",
    "info:eu-repo/semantics/dataset": "dataset", "vídeo": "video", "moving image": "video",
    "movingimage": "video"
  },
  "sector": {
    "salud": "health", "saúde": "health", "saude": "health",
    "justicia": "justice", "justiça": "justice", "acceso a la justicia": "justice",
    "policía": "police", "policia": "police", "seguridad": "police",
    "servicios sociales": "social_services", "serviços sociais": "social_services",
    "social services": "social_services", "protección social": "social_services",
    "coordinación": "coordination", "coordenação": "coordination",
    "coordinación interinstitucional": "coordination"
  },
  "population": {
    "indígenas": "indigenous", "pueblos indígenas": "indigenous", "povos indígenas": "indigenous",
    "mujeres indígenas": "indigenous", "afrodescendientes": "afrodescendant",
    "afrodescendentes": "afrodescendant", "discapacidad": "disability",
    "deficiência": "disability", "lgbti": "lgbtiq", "lgbt": "lgbtiq", "migrantes": "migrant",
    "migración": "migrant", "mujeres rurales": "rural", "adolescentes": "adolescent",
    "niñas": "adolescent", "personas mayores": "older"
  },
  "topic": {
    "violencia sexual": "sexual-violence", "violência sexual": "sexual-violence",
    "feminicidio": "femicide", "femicidio": "femicide", "feminicídio": "femicide",
    "violencia doméstica": "domestic-violence", "violência doméstica": "domestic-violence",
    "violencia de género": "gender-based-violence", "violência de gênero": "gender-based-violence",
    "trata de personas": "trafficking", "tráfico de pessoas": "trafficking"
  },
  "language": {
    "spa": "es", "español": "es", "espanol": "es", "spanish": "es", "castellano": "es",
    "por": "pt", "português": "pt", "portugues": "pt", "portuguese": "pt",
    "eng": "en", "english": "en", "inglés": "en", "fra": "fr", "fre": "fr",
    "que": "qu", "quechua": "qu", "grn": "gn", "guaraní": "gn", "aym": "ay", "aymara": "ay"
  },
  "country": {
    "argentina": "AR", "bolivia": "BO", "brasil": "BR", "brazil": "BR", "chile": "CL",
    "colombia": "CO", "costa rica": "CR", "cuba": "CU", "ecuador": "EC", "el salvador": "SV",
    "guatemala": "GT", "honduras": "HN", "méxico": "MX", "mexico": "MX", "nicaragua": "NI",
    "panamá": "PA", "panama": "PA", "paraguay": "PY", "perú": "PE", "peru": "PE",
    "república dominicana": "DO", "dominican republic": "DO", "uruguay": "UY",
    "venezuela": "VE", "haití": "HT", "haiti": "HT", "jamaica": "JM",
    "américa latina y el caribe": "LAC", "latin america and the caribbean": "LAC",
    "américa latina": "LAC", "latin america": "LAC", "mundial": "global", "global": "global"
  }
})";

std::string Lower(absl::string_view s) {
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(s));
}

// Checks a mapping's target value for `field`; an error message or "".
std::string CheckTarget(absl::string_view field, const std::string& v) {
  if (field == "kind" && !IsKind(v)) return "is not a kind: " + JoinVocabulary(Kinds());
  if (field == "sector" && !IsSector(v)) return "is not a sector: " + JoinVocabulary(Sectors());
  if (field == "population" && !IsPopulation(v)) {
    return "is not a population: " + JoinVocabulary(Populations());
  }
  if (field == "country" && !IsCountry(NormalizeCountry(v))) {
    return "is not an ISO 3166-1 code, LAC or global";
  }
  if (field == "language" && !IsLanguageTag(NormalizeLanguage(v))) return "is not a BCP-47 tag";
  if (v.empty()) return "is empty";
  return "";
}

// The first value of `values` that maps through `map` (or is itself in the
// vocabulary `is`), mapped; "" when none does.
template <typename Is>
std::string FirstMapped(const std::vector<const DcValue*>& values,
                        const std::map<std::string, std::string>& map, Is is) {
  for (const DcValue* v : values) {
    const std::string key = Lower(v->value);
    if (auto it = map.find(key); it != map.end()) return it->second;
    if (is(key)) return key;
  }
  return "";
}

std::string MapLanguage(absl::string_view tag, const Mapping& m) {
  if (tag.empty()) return "";
  if (auto it = m.language.find(Lower(tag)); it != m.language.end()) return it->second;
  const std::string normal = NormalizeLanguage(tag);
  return IsLanguageTag(normal) ? normal : "";
}

std::string Quoted(const std::vector<const DcValue*>& values) {
  std::vector<std::string> q;
  for (const DcValue* v : values) q.push_back(absl::StrCat("'", v->value, "'"));
  return q.empty() ? "none" : absl::StrJoin(q, ", ");
}

}  // namespace

const Mapping& DefaultMapping() {
  static const Mapping* mapping = [] {
    absl::StatusOr<Mapping> m = ParseMapping(kDefaultMapping, Mapping{});
    return new Mapping(m.ok() ? *std::move(m) : Mapping{});
  }();
  return *mapping;
}

absl::StatusOr<Mapping> ParseMapping(absl::string_view json, const Mapping& base) {
  const nlohmann::json doc =
      nlohmann::json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::InvalidArgumentError("mapping: not a JSON object");
  }
  Mapping m = base;
  const std::map<std::string, std::map<std::string, std::string>*> tables = {
      {"kind", &m.kind},   {"sector", &m.sector},     {"population", &m.population},
      {"topic", &m.topic}, {"language", &m.language}, {"country", &m.country}};
  for (const auto& [name, value] : doc.items()) {
    if (name == "default_kind" || name == "default_sector") {
      if (!value.is_string())
        return absl::InvalidArgumentError("mapping." + name + ": not a string");
      const std::string v = value.get<std::string>();
      const std::string bad = CheckTarget(name == "default_kind" ? "kind" : "sector", v);
      if (!bad.empty()) {
        return absl::InvalidArgumentError(absl::StrCat("mapping.", name, ": '", v, "' ", bad));
      }
      (name == "default_kind" ? m.default_kind : m.default_sector) = v;
      continue;
    }
    auto table = tables.find(name);
    if (table == tables.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mapping.", name,
          ": unknown member (kind, sector, population, topic, language, country, default_kind, "
          "default_sector)"));
    }
    if (!value.is_object()) {
      return absl::InvalidArgumentError("mapping." + name + ": not an object of strings");
    }
    for (const auto& [from, to] : value.items()) {
      if (!to.is_string()) {
        return absl::InvalidArgumentError(
            absl::StrCat("mapping.", name, "[\"", from, "\"]: not a string"));
      }
      const std::string target = to.get<std::string>();
      const std::string bad = CheckTarget(name, target);
      if (!bad.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("mapping.", name, "[\"", from, "\"]: '", target, "' ", bad));
      }
      (*table->second)[Lower(from)] = target;
    }
  }
  return m;
}

std::string LocalIdFor(absl::string_view oai_identifier) {
  absl::string_view rest = oai_identifier;
  if (absl::StartsWith(rest, "oai:")) rest.remove_prefix(4);
  std::string id;
  for (char ch : absl::AsciiStrToLower(rest)) {
    const bool ok = absl::ascii_isalnum(ch) || ch == '.' || ch == '_' || ch == '-';
    if (ok) {
      id.push_back(ch);
    } else if (!id.empty() && id.back() != '-') {
      id.push_back('-');
    }
  }
  while (!id.empty() && id.back() == '-') id.pop_back();
  constexpr size_t kMax = 96;
  if (id.size() > kMax || id.empty()) {
    const std::string hash = DigestToHex(Sha256(oai_identifier)).substr(0, 16);
    id = absl::StrCat(id.substr(0, kMax - hash.size() - 1), id.empty() ? "" : "-", hash);
  }
  return id;
}

absl::StatusOr<v1::Material> MapRecord(const OaiRecord& record, const Mapping& mapping,
                                       absl::string_view source) {
  v1::Material m;
  m.set_id(LocalIdFor(record.identifier));
  const std::vector<const DcValue*> titles = record.All("title");
  if (titles.empty()) return absl::InvalidArgumentError("dc:title: none");
  m.set_title(titles[0]->value);
  for (const DcValue* l : record.All("language")) {
    const std::string tag = MapLanguage(l->value, mapping);
    if (!tag.empty()) m.add_languages(tag);
  }
  std::string title_language = MapLanguage(titles[0]->lang, mapping);
  if (title_language.empty() && m.languages_size() > 0) title_language = m.languages(0);
  m.set_title_language(title_language);
  for (size_t i = 1; i < titles.size(); ++i) {
    const std::string lang = MapLanguage(titles[i]->lang, mapping);
    if (!lang.empty() && lang != title_language && !m.other_language_titles().contains(lang)) {
      (*m.mutable_other_language_titles())[lang] = titles[i]->value;
    }
  }
  if (auto d = record.All("description"); !d.empty()) m.set_summary(d[0]->value);

  const std::vector<const DcValue*> types = record.All("type");
  std::string kind =
      FirstMapped(types, mapping.kind, [](absl::string_view v) { return IsKind(v); });
  if (kind.empty()) kind = mapping.default_kind;
  if (kind.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dc:type: ", Quoted(types),
        " maps to no kind (add it to the mapping's \"kind\", or set \"default_kind\")"));
  }
  m.set_kind(kind);

  const std::vector<const DcValue*> subjects = record.All("subject");
  for (const DcValue* s : subjects) {
    const std::string key = Lower(s->value);
    if (auto it = mapping.sector.find(key); it != mapping.sector.end()) m.add_sectors(it->second);
    if (IsSector(key)) m.add_sectors(key);
    if (auto it = mapping.population.find(key); it != mapping.population.end()) {
      m.add_populations(it->second);
    }
    if (IsPopulation(key)) m.add_populations(key);
    if (auto it = mapping.topic.find(key); it != mapping.topic.end()) m.add_topics(it->second);
  }
  if (m.sectors().empty() && !mapping.default_sector.empty()) {
    m.add_sectors(mapping.default_sector);
  }
  if (m.sectors().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dc:subject: ", Quoted(subjects),
        " maps to no sector (add one to the mapping's \"sector\", or set \"default_sector\")"));
  }
  for (const DcValue* c : record.All("coverage")) {
    if (auto it = mapping.country.find(Lower(c->value)); it != mapping.country.end()) {
      m.add_countries(it->second);
    } else if (IsCountry(NormalizeCountry(c->value))) {
      m.add_countries(NormalizeCountry(c->value));
    }
  }
  for (const DcValue* p : record.All("publisher")) m.add_publisher(p->value);
  if (auto dates = record.All("date"); !dates.empty()) {
    uint32_t year = 0;
    if (absl::SimpleAtoi(absl::string_view(dates[0]->value).substr(0, 4), &year) && year >= 1000 &&
        year <= 2100) {
      m.set_year(year);
    }
  }
  for (const DcValue* i : record.All("identifier")) {
    if (absl::StartsWith(i->value, "http://") || absl::StartsWith(i->value, "https://")) {
      m.set_url(i->value);
      break;
    }
  }
  if (auto rights = record.All("rights"); !rights.empty() && rights[0]->value.size() <= 200) {
    m.set_license(rights[0]->value);
  }
  m.set_source(std::string(source));
  NormalizeMaterial(&m);
  if (absl::Status valid = ValidateMaterial(m, Strictness::kLocal); !valid.ok()) return valid;
  return m;
}

}  // namespace minga::harvest
