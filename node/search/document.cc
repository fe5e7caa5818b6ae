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
#include "node/search/common_words.h"

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
  Builder(IndexedDocument* out, Stemmers* stemmers, CommonWords* common)
      : out_(out), stemmers_(stemmers), common_(common) {}

  // Indexes `text` in each of `languages`; the first gives the word
  // sequence phrases are matched in.
  void Text(absl::string_view text, const std::vector<std::string>& languages,
            Xapian::termcount weight, bool spelling) {
    const std::vector<std::string> words = SplitWords(text);
    bool first = true;
    for (const std::string& language : languages) {
      std::string previous;  // the last common stem of the sequence, or ""
      for (const std::string& w : words) {
        if (IsStopWord(w)) continue;
        std::string stem = stemmers_->Stem(w, language);
        out_->doc.add_term(absl::StrCat(kStemPrefix, stem), weight);
        out_->length += weight;
        if (first) {
          AppendHash(WordHash(stem));
          if (spelling && w.size() >= 3) spelling_.insert(w);
          Pair(&previous, std::move(stem));
        }
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
  // The pair term of the sequence's previous stem and `stem` when both are
  // common, as the sequence orders them (stop words left out).
  void Pair(std::string* previous, std::string stem) {
    if (common_ == nullptr) return;
    if (common_->RankOf(stem) == CommonWords::kNotCommon) {
      common_->Consider(stem);
      previous->clear();
      return;
    }
    if (!previous->empty()) {
      const uint32_t rank = common_->PairRankOf(*previous, stem);
      if (rank == CommonWords::kNotCommon) {
        out_->doc.add_boolean_term(CommonWords::BucketTerm(*previous, stem));
        common_->CountPair(*previous, stem);
      } else {
        out_->doc.add_boolean_term(CommonWords::TrackedTerm(rank));
      }
    }
    *previous = std::move(stem);
  }

  void AppendHash(uint32_t h) {
    sequence_.push_back(static_cast<char>(h >> 16));
    sequence_.push_back(static_cast<char>(h >> 8));
    sequence_.push_back(static_cast<char>(h));
  }

  IndexedDocument* const out_;
  Stemmers* const stemmers_;
  CommonWords* const common_;
  std::string sequence_;
  std::set<std::string> spelling_;
};

// The languages to stem `language`-tagged text in: that one, or unstemmed.
std::vector<std::string> One(absl::string_view language) { return {std::string(language)}; }

}  // namespace

uint32_t Fnv1a(absl::string_view bytes, uint32_t h) {
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 16777619u;
  }
  return h;
}

uint32_t WordHash(absl::string_view stem) {
  uint32_t h = Fnv1a(stem);
  h = (h ^ (h >> 24)) & 0xFFFFFF;
  return h == kFieldBreak ? 1 : h;
}

std::string FacetTerm(absl::string_view facet, absl::string_view value) {
  for (const FacetName& f : kFacets) {
    if (f.name == facet) return absl::StrCat(f.prefix, value);
  }
  return "";
}

uint64_t DateOrder(uint32_t year, int64_t time_unix_micros) {
  // 2^52 microseconds is 142 years from the epoch: enough for revisions.
  const uint64_t t =
      static_cast<uint64_t>(std::max<int64_t>(0, time_unix_micros)) & ((uint64_t{1} << 52) - 1);
  return (uint64_t{std::min<uint32_t>(year, 4095)} << 52) | t;
}

std::string EncodeDateOrder(uint64_t order) {
  std::string value(8, '\0');
  for (int i = 0; i < 8; ++i) value[i] = static_cast<char>(order >> (56 - 8 * i));
  return value;
}

uint64_t DecodeDateOrder(absl::string_view value) {
  if (value.size() != 8) return 0;
  uint64_t order = 0;
  for (char c : value) order = (order << 8) | static_cast<uint8_t>(c);
  return order;
}

std::string EncodeVintage(Vintage v) {
  return std::string{static_cast<char>(v.words >> 8), static_cast<char>(v.words & 0xFF),
                     static_cast<char>(v.pairs >> 8), static_cast<char>(v.pairs & 0xFF)};
}

Vintage DecodeVintage(absl::string_view value) {
  if (value.size() != 4) return {};
  auto u16 = [&](size_t i) {
    return static_cast<uint16_t>((static_cast<uint8_t>(value[i]) << 8) |
                                 static_cast<uint8_t>(value[i + 1]));
  };
  return {u16(0), u16(2)};
}

IndexedDocument BuildDocument(absl::string_view id, const v1::Material& m, int64_t time_unix_micros,
                              Stemmers* stemmers, CommonWords* common) {
  IndexedDocument out;
  // The lists before this document tells of its own stems and pairs.
  if (common != nullptr) {
    out.vintage = common->vintage();
    common->Built();
  }
  Builder b(&out, stemmers, common);
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
  // Publishers are named in the material's own language more often than
  // not, and stemmed in it their words meet the summary's (a phrase of them
  // is then decided by pair terms, not read word by word).
  b.Text(absl::StrJoin(m.publisher(), " ; "), One(m.title_language()), kPublisherWeight, false);

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
  out.date = DateOrder(m.year(), time_unix_micros);
  out.doc.add_value(kDateSlot, EncodeDateOrder(out.date));
  out.doc.add_value(kSequenceSlot, std::move(b.sequence()));
  out.doc.add_value(kCommonSlot, EncodeVintage(out.vintage));
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
