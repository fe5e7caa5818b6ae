#include "node/search/document.h"

#include <algorithm>
#include <limits>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "node/core/ids.h"
#include "node/core/validate.h"

namespace minga::search {
namespace {

// Field weights, as wdf increments (BM25F by repetition).
constexpr Xapian::termcount kTitleWeight = 3;
constexpr Xapian::termcount kOtherTitleWeight = 2;
constexpr Xapian::termcount kTopicsWeight = 2;
constexpr Xapian::termcount kSummaryWeight = 1;
constexpr Xapian::termcount kPublisherWeight = 1;

class Builder {
 public:
  Builder(IndexedDocument* out, Stemmers* stemmers) : out_(out), stemmers_(stemmers) {}

  // Indexes `text` in each of `languages`; the first gives the word
  // sequence phrases are matched in.
  void Text(absl::string_view text, const std::vector<std::string>& languages,
            Xapian::termcount weight, bool spelling) {
    const std::vector<std::string> words = SplitWords(text);
    bool first = true;
    for (const std::string& language : languages) {
      for (const std::string& w : words) {
        if (IsStopWord(w)) continue;
        const std::string stem = stemmers_->Stem(w, language);
        out_->doc.add_term(absl::StrCat(kStemPrefix, stem), weight);
        out_->length += weight;
        if (first) AppendHash(WordHash(stem));
        if (spelling && first && w.size() >= 3) spelling_.insert(w);
      }
      if (first) AppendHash(kFieldBreak);  // a phrase never spans two fields
      first = false;
    }
  }

  std::string& sequence() { return sequence_; }

  void Facet(absl::string_view facet, absl::string_view value) {
    if (value.empty()) return;
    std::string term = FacetTerm(facet, value);
    if (term.size() > 240) return;  // Xapian's term limit; no vocabulary value is near it
    out_->doc.add_boolean_term(term);
    out_->facet_terms.push_back(std::move(term));
  }

  std::set<std::string>& spelling() { return spelling_; }

 private:
  void AppendHash(uint32_t h) {
    sequence_.push_back(static_cast<char>(h >> 16));
    sequence_.push_back(static_cast<char>(h >> 8));
    sequence_.push_back(static_cast<char>(h));
  }

  IndexedDocument* const out_;
  Stemmers* const stemmers_;
  std::string sequence_;
  std::set<std::string> spelling_;
};

// The languages to stem `language`-tagged text in: that one, or unstemmed.
std::vector<std::string> One(absl::string_view language) { return {std::string(language)}; }

}  // namespace

uint32_t WordHash(absl::string_view stem) {
  uint32_t h = 2166136261u;
  for (char c : stem) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  h = (h ^ (h >> 24)) & 0xFFFFFF;
  return h == kFieldBreak ? 1 : h;
}

std::string FacetTerm(absl::string_view facet, absl::string_view value) {
  for (const FacetName& f : kFacets) {
    if (f.name == facet) return absl::StrCat(f.prefix, value);
  }
  return "";
}

std::string DateKey(uint32_t year, int64_t time_unix_micros, absl::string_view id) {
  // Descending year and time as ascending bytes: store their complements.
  std::string key(12, '\0');
  const uint32_t y = std::numeric_limits<uint32_t>::max() - year;
  const uint64_t t = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) -
                     static_cast<uint64_t>(std::max<int64_t>(0, time_unix_micros));
  for (int i = 0; i < 4; ++i) key[i] = static_cast<char>(y >> (24 - 8 * i));
  for (int i = 0; i < 8; ++i) key[4 + i] = static_cast<char>(t >> (56 - 8 * i));
  key.append(id.data(), id.size());
  return key;
}

uint64_t DateOrder(uint32_t year, int64_t time_unix_micros) {
  // 2^52 microseconds is 142 years from the epoch: enough for revisions.
  const uint64_t t =
      static_cast<uint64_t>(std::max<int64_t>(0, time_unix_micros)) & ((uint64_t{1} << 52) - 1);
  return (uint64_t{std::min<uint32_t>(year, 4095)} << 52) | t;
}

uint64_t DateOrderOfKey(absl::string_view key) {
  // DateKey stores complements; undo them.
  if (key.size() < 12) return 0;
  uint32_t y = 0;
  uint64_t t = 0;
  for (int i = 0; i < 4; ++i) y = (y << 8) | static_cast<uint8_t>(key[i]);
  for (int i = 0; i < 8; ++i) t = (t << 8) | static_cast<uint8_t>(key[4 + i]);
  return DateOrder(
      std::numeric_limits<uint32_t>::max() - y,
      static_cast<int64_t>(static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - t));
}

IndexedDocument BuildDocument(absl::string_view id, const v1::Material& m, int64_t time_unix_micros,
                              Stemmers* stemmers) {
  IndexedDocument out;
  Builder b(&out, stemmers);
  // The summary is in the material's languages (the title's when none
  // are listed); the first gives its positions.
  std::vector<std::string> languages;
  for (const std::string& l : m.languages()) {
    if (std::find(languages.begin(), languages.end(), l) == languages.end()) languages.push_back(l);
  }
  if (languages.empty()) languages.push_back(m.title_language());
  b.Text(m.title(), One(m.title_language()), kTitleWeight, true);
  for (const auto& [language, title] : m.other_language_titles()) {
    b.Text(title, One(language), kOtherTitleWeight, true);
  }
  b.Text(m.summary(), languages, kSummaryWeight, false);
  for (const std::string& topic : m.topics()) {
    // Topics are kebab-case English tags: "first-line-support".
    b.Text(topic, One("en"), kTopicsWeight, true);
  }
  b.Text(absl::StrJoin(m.publisher(), " ; "), One(""), kPublisherWeight, false);

  for (const std::string& s : m.sectors()) b.Facet("sector", s);
  b.Facet("kind", m.kind());
  for (const std::string& p : m.populations()) b.Facet("population", p);
  std::set<std::string> langs;
  for (const std::string& l : m.languages()) langs.insert(NormalizeLanguage(l));
  if (langs.empty() && !m.title_language().empty())
    langs.insert(NormalizeLanguage(m.title_language()));
  for (const std::string& l : langs) b.Facet("language", l);
  for (const std::string& c : m.countries()) b.Facet("country", NormalizeCountry(c));
  b.Facet("origin", OriginOf(id));
  if (m.year() != 0) b.Facet("year", absl::StrCat(m.year()));

  out.doc.add_boolean_term(absl::StrCat(kIdPrefix, id));
  out.doc.add_value(kIdSlot, std::string(id));
  out.doc.add_value(kDateSlot, DateKey(m.year(), time_unix_micros, id));
  out.doc.add_value(kSequenceSlot, std::move(b.sequence()));
  out.date = DateOrder(m.year(), time_unix_micros);
  out.spelling.assign(b.spelling().begin(), b.spelling().end());
  out.doc.set_data(absl::StrJoin(out.spelling, "\n"));
  return out;
}

std::vector<std::string> SpellingWordsOf(const Xapian::Document& doc) {
  const std::string data = doc.get_data();
  if (data.empty()) return {};
  return absl::StrSplit(data, '\n');
}

}  // namespace minga::search
