#include "node/catalog/search.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/entry.h"
#include "node/catalog/search_index.h"
#include "node/core/ids.h"
#include "node/core/proto_util.h"
#include "node/core/status_macros.h"
#include "node/core/text.h"
#include "node/core/tokenizer.h"
#include "node/core/vocabulary.h"

namespace minga {
namespace {

constexpr double kK1 = 1.2;
constexpr double kB = 0.75;
constexpr double kTitleBoost = 3.0, kTopicsBoost = 2.0, kPublisherBoost = 1.5,
                 kSummaryBoost = 1.0;
constexpr double kPrefixWeight = 0.6;   // "femin" -> "feminicidio"
constexpr size_t kMinPrefixChars = 3;
constexpr size_t kMaxExpansions = 64;   // index terms per query word
constexpr int kMaxFacetValues = 50;

struct Query {
  std::vector<std::string> terms;                 // stems, unique, in order
  std::vector<std::vector<std::string>> phrases;  // stems, stop words kept
  bool had_words = false;
};

Query ParseQuery(absl::string_view text) {
  Query q;
  std::set<std::string> seen;
  const std::vector<std::string> parts = absl::StrSplit(text, '"');
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::vector<std::string> words = SplitWords(parts[i]);
    q.had_words |= !words.empty();
    std::vector<std::string> phrase;
    for (const std::string& w : words) {
      phrase.push_back(Stem(w));
      if (!IsStopWord(w) && seen.insert(Stem(w)).second) q.terms.push_back(Stem(w));
    }
    // Odd parts are inside quotes; a one-word phrase is just a word.
    if (i % 2 == 1 && phrase.size() > 1) q.phrases.push_back(std::move(phrase));
  }
  return q;
}

// A filter group: the facet name and the accepted values.
struct Filter {
  std::string facet;
  std::vector<std::string> values;
  std::vector<std::string> keys;  // "<facet>=<value>", as IndexedDoc stores them
};

absl::StatusOr<std::vector<Filter>> Filters(const v1::SearchRequest& r) {
  std::vector<Filter> out;
  auto add = [&](absl::string_view field, absl::string_view facet,
                 const google::protobuf::RepeatedPtrField<std::string>& values,
                 auto normalize, auto valid, absl::string_view expected) -> absl::Status {
    if (values.empty()) return absl::OkStatus();
    if (values.size() > 64) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": at most 64 values"));
    }
    Filter f{std::string(facet), {}, {}};
    for (int i = 0; i < values.size(); ++i) {
      const std::string v = normalize(std::string(absl::StripAsciiWhitespace(values[i])));
      if (!valid(v)) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, "[", i, "]: unknown value '", values[i], "'; expected ", expected));
      }
      f.values.push_back(v);
      f.keys.push_back(absl::StrCat(facet, "=", v));
    }
    out.push_back(std::move(f));
    return absl::OkStatus();
  };
  auto lower = [](std::string s) { return absl::AsciiStrToLower(s); };
  auto same = [](std::string s) { return s; };
  auto country = [](std::string s) {
    const std::string l = absl::AsciiStrToLower(s);
    return l == "global" ? l : l == "lac" ? "LAC" : absl::AsciiStrToUpper(s);
  };
  auto language = [](std::string s) {
    const size_t dash = s.find('-');
    return absl::AsciiStrToLower(s.substr(0, dash)) + (dash == std::string::npos ? "" : s.substr(dash));
  };
  RETURN_IF_ERROR(add("sectors", "sector", r.sectors(), lower, IsSector,
                      absl::StrCat("one of ", JoinVocabulary(Sectors()))));
  RETURN_IF_ERROR(add("kinds", "kind", r.kinds(), lower, IsKind,
                      absl::StrCat("one of ", JoinVocabulary(Kinds()))));
  RETURN_IF_ERROR(add("populations", "population", r.populations(), lower, IsPopulation,
                      absl::StrCat("one of ", JoinVocabulary(Populations()))));
  RETURN_IF_ERROR(add("languages", "language", r.languages(), language, IsLanguageTag,
                      "a BCP-47 tag such as es or pt-BR"));
  RETURN_IF_ERROR(add("countries", "country", r.countries(), country, IsCountry,
                      "an ISO 3166-1 alpha-2 code, LAC or global"));
  RETURN_IF_ERROR(add("origins", "origin", r.origins(), same, IsValidOrgId, "an org id"));
  return out;
}

bool PassesFilters(const v1::storage::IndexedDoc& doc, const std::vector<Filter>& filters,
                   const v1::SearchRequest& r) {
  for (const Filter& f : filters) {
    bool any = false;
    for (const std::string& want : f.keys) {
      any |= std::find(doc.facets().begin(), doc.facets().end(), want) != doc.facets().end();
    }
    if (!any) return false;
  }
  if (r.year_min() != 0 && (doc.year() == 0 || doc.year() < r.year_min())) return false;
  if (r.year_max() != 0 && (doc.year() == 0 || doc.year() > r.year_max())) return false;
  return true;
}

// Every (index term, tf) of a document that matches one query term.
struct TermHit {
  std::string term;
  DocTerms::Tf tf;
  bool exact;
};

absl::StatusOr<absl::flat_hash_map<std::string, std::vector<TermHit>>> Postings(
    KvStore* kv, const std::string& q, std::map<std::string, uint64_t>* df) {
  absl::flat_hash_map<std::string, std::vector<TermHit>> hits;
  const std::string prefix = q.size() >= kMinPrefixChars ? "t" + q : TermPrefix(q);
  auto it = kv->NewIterator(Cf::kIndex);
  std::set<std::string> expansions;
  for (it->Seek(prefix); it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
    const absl::string_view key = it->key();
    const size_t zero = key.find('\0');
    if (zero == absl::string_view::npos) continue;
    std::string term(key.substr(1, zero - 1));
    if (expansions.insert(term).second && expansions.size() > kMaxExpansions) break;
    DocTerms::Tf tf;
    if (!DecodeTf(it->value(), &tf)) {
      return absl::DataLossError("store: a search posting is corrupt; run minga reindex");
    }
    ++(*df)[term];
    hits[std::string(key.substr(zero + 1))].push_back({term, tf, term == q});
  }
  RETURN_IF_ERROR(it->status());
  return hits;
}

struct Match {
  std::string id;
  v1::storage::IndexedDoc doc;
  double score = 0;
};

// Relevance: higher score first; date: newer year, then newer revision.
bool Before(const Match& a, const Match& b, bool by_date) {
  if (by_date) {
    if (a.doc.year() != b.doc.year()) return a.doc.year() > b.doc.year();
    if (a.doc.time_unix_micros() != b.doc.time_unix_micros()) {
      return a.doc.time_unix_micros() > b.doc.time_unix_micros();
    }
  } else if (a.score != b.score) {
    return a.score > b.score;
  }
  return a.id < b.id;
}

std::string Fingerprint(const v1::SearchRequest& r) {
  v1::SearchRequest key = r;
  key.clear_cursor();
  key.clear_page_size();
  return absl::BytesToHexString(DigestToBytes(Sha256(key.SerializeAsString()))).substr(0, 16);
}

bool HasPhrase(const std::vector<std::string>& words, const std::vector<std::string>& phrase) {
  return std::search(words.begin(), words.end(), phrase.begin(), phrase.end()) != words.end();
}

bool MatchesPhrases(const v1::Material& m, const std::vector<std::vector<std::string>>& phrases) {
  std::vector<std::string> texts = {m.title(), m.summary(), absl::StrJoin(m.publisher(), " ; ")};
  for (const auto& [lang, t] : m.other_language_titles()) texts.push_back(t);
  for (const std::string& t : m.topics()) texts.push_back(t);
  for (const auto& phrase : phrases) {
    bool found = false;
    for (const std::string& text : texts) {
      std::vector<std::string> stems;
      for (const std::string& w : SplitWords(text)) stems.push_back(Stem(w));
      if (HasPhrase(stems, phrase)) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<v1::SearchResponse> Search(KvStore* kv, const Keyring& keyring,
                                          const v1::SearchRequest& request) {
  // Everything the request can get wrong is refused before any scan.
  if (!IsValidUtf8(request.query())) {
    return absl::InvalidArgumentError("query: not valid UTF-8");
  }
  const size_t chars = Utf8Length(request.query());
  if (chars > kMaxQueryChars) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query: ", chars, " characters, at most ", kMaxQueryChars));
  }
  const int page_size = request.page_size() == 0 ? 20 : request.page_size();
  if (page_size < 1 || page_size > 100) {
    return absl::InvalidArgumentError(absl::StrCat(
        "page_size: ", request.page_size(), " is not between 1 and 100"));
  }
  if (request.year_min() != 0 && request.year_max() != 0 &&
      request.year_min() > request.year_max()) {
    return absl::InvalidArgumentError("year_min: is after year_max");
  }
  ASSIGN_OR_RETURN(const std::vector<Filter> filters, Filters(request));
  const Query query = ParseQuery(request.query());
  if (query.terms.size() > kMaxQueryTerms) {
    return absl::InvalidArgumentError(absl::StrCat(
        "query: ", query.terms.size(), " distinct words, at most ", kMaxQueryTerms));
  }
  const std::string fingerprint = Fingerprint(request);
  v1::storage::SearchCursor cursor;
  const bool has_cursor = !request.cursor().empty();
  if (has_cursor) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(request.cursor(), &raw) || !ParseProto(raw, &cursor)) {
      return absl::InvalidArgumentError("cursor: malformed");
    }
    if (cursor.query_fingerprint() != fingerprint) {
      return absl::InvalidArgumentError(
          "cursor: belongs to another query, filters or sort; start without it");
    }
  }
  v1::SearchResponse response;
  if (query.had_words && query.terms.empty()) {
    response.set_note("the query has only common words (like 'de', 'the', 'para'); add a word that says what you look for");
    return response;
  }
  const bool by_date = request.sort() == v1::SearchRequest::DATE ||
                       (request.sort() == v1::SearchRequest::SORT_DEFAULT && query.terms.empty());

  // Collection statistics: those page one was ranked with, when paging.
  v1::storage::IndexStats stats;
  ASSIGN_OR_RETURN(std::optional<std::string> raw_stats, kv->Get(Cf::kIndex, kStatsKey));
  if (raw_stats.has_value() && !ParseProto(*raw_stats, &stats)) {
    return absl::DataLossError("store: index statistics are corrupt; run minga reindex");
  }
  if (!has_cursor) {
    const double n = std::max<double>(1, stats.docs());
    cursor.set_docs(stats.docs());
    cursor.set_avg_title(std::max(1.0, stats.title_terms() / n));
    cursor.set_avg_summary(std::max(1.0, stats.summary_terms() / n));
    cursor.set_avg_topics(std::max(1.0, stats.topics_terms() / n));
    cursor.set_avg_publisher(std::max(1.0, stats.publisher_terms() / n));
  }

  // Candidates and, with text, the index terms each query word hit.
  std::map<std::string, std::vector<std::vector<TermHit>>> candidates;  // id -> per word
  if (!query.terms.empty()) {
    std::map<std::string, uint64_t> df;
    for (size_t qi = 0; qi < query.terms.size(); ++qi) {
      ASSIGN_OR_RETURN(auto postings, Postings(kv, query.terms[qi], &df));
      if (qi == 0) {
        for (auto& [id, hits] : postings) candidates[id].push_back(std::move(hits));
      } else {
        for (auto it = candidates.begin(); it != candidates.end();) {
          auto found = postings.find(it->first);
          if (found == postings.end()) {
            it = candidates.erase(it);  // every word must match
          } else {
            it->second.push_back(std::move(found->second));
            ++it;
          }
        }
      }
      if (candidates.empty()) break;
    }
    for (const auto& [term, count] : df) {
      if (!cursor.df().count(term)) (*cursor.mutable_df())[term] = count;
    }
  } else if (!filters.empty()) {
    // The first filter group narrows; the rest are checked per document.
    for (const std::string& v : filters[0].values) {
      const std::string prefix = FacetPrefix(absl::StrCat(filters[0].facet, "=", v));
      auto it = kv->NewIterator(Cf::kIndex);
      for (it->Seek(prefix); it->Valid() && absl::StartsWith(it->key(), prefix); it->Next()) {
        candidates[std::string(it->key().substr(prefix.size()))];
      }
      RETURN_IF_ERROR(it->status());
    }
  } else {
    auto it = kv->NewIterator(Cf::kIndex);
    for (it->Seek("d"); it->Valid() && absl::StartsWith(it->key(), "d"); it->Next()) {
      candidates[std::string(it->key().substr(1))];
    }
    RETURN_IF_ERROR(it->status());
  }

  // Filter and score.
  std::vector<Match> matches;
  const double n = std::max<double>(1, cursor.docs());
  for (auto& [id, per_word] : candidates) {
    Match m;
    m.id = id;
    ASSIGN_OR_RETURN(std::optional<std::string> raw_doc, kv->Get(Cf::kIndex, DocKey(id)));
    if (!raw_doc.has_value()) continue;  // retracted since the postings were read
    if (!ParseProto(*raw_doc, &m.doc)) {
      return absl::DataLossError(absl::StrCat("store: index record of '", id, "' is corrupt"));
    }
    if (!PassesFilters(m.doc, filters, request)) continue;
    for (const std::vector<TermHit>& hits : per_word) {
      double best = 0;
      for (const TermHit& h : hits) {
        const double df = static_cast<double>(cursor.df().count(h.term) ? cursor.df().at(h.term) : 1);
        const double idf = std::log(1.0 + (n - df + 0.5) / (df + 0.5));
        auto norm = [&](uint32_t tf, uint32_t len, double avg) {
          return tf / (1.0 - kB + kB * len / avg);
        };
        const double tf = kTitleBoost * norm(h.tf.title, m.doc.title_terms(), cursor.avg_title()) +
                          kTopicsBoost * norm(h.tf.topics, m.doc.topics_terms(), cursor.avg_topics()) +
                          kPublisherBoost * norm(h.tf.publisher, m.doc.publisher_terms(), cursor.avg_publisher()) +
                          kSummaryBoost * norm(h.tf.summary, m.doc.summary_terms(), cursor.avg_summary());
        const double s = std::max(0.0, idf) * tf * (kK1 + 1) / (tf + kK1) * (h.exact ? 1.0 : kPrefixWeight);
        best = std::max(best, s);
      }
      m.score += best;
    }
    if (!query.phrases.empty()) {
      ASSIGN_OR_RETURN(std::optional<Entry> entry, LoadEntry(kv, id));
      if (!entry.has_value() || !entry->has_body() || !MatchesPhrases(*entry->material, query.phrases)) {
        continue;
      }
    }
    matches.push_back(std::move(m));
  }
  std::sort(matches.begin(), matches.end(),
            [by_date](const Match& a, const Match& b) { return Before(a, b, by_date); });

  // Facet counts over every match.
  absl::flat_hash_map<std::string, uint64_t> counted;
  for (const Match& m : matches) {
    for (const std::string& f : m.doc.facets()) ++counted[f];
  }
  std::map<std::string, std::map<std::string, uint64_t>> facets;
  for (const auto& [f, n] : counted) {
    const size_t eq = f.find('=');
    facets[f.substr(0, eq)][f.substr(eq + 1)] = n;
  }
  for (const char* name : {"sector", "kind", "population", "language", "country", "origin", "year"}) {
    auto it = facets.find(name);
    if (it == facets.end()) continue;
    v1::Facet* facet = response.add_facets();
    facet->set_name(name);
    std::vector<std::pair<std::string, uint64_t>> counts(it->second.begin(), it->second.end());
    std::stable_sort(counts.begin(), counts.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (int i = 0; i < static_cast<int>(counts.size()) && i < kMaxFacetValues; ++i) {
      v1::FacetCount* c = facet->add_counts();
      c->set_value(counts[i].first);
      c->set_count(counts[i].second);
    }
  }
  response.set_total(matches.size());

  // The page: what sorts strictly after the cursor.
  auto start = matches.begin();
  if (has_cursor) {
    Match last;
    last.id = cursor.last_id();
    last.score = cursor.last_score();
    last.doc.set_year(cursor.last_year());
    last.doc.set_time_unix_micros(cursor.last_time());
    start = std::upper_bound(matches.begin(), matches.end(), last,
                             [by_date](const Match& a, const Match& b) { return Before(a, b, by_date); });
  }
  int taken = 0;
  for (auto it = start; it != matches.end() && taken < page_size; ++it, ++taken) {
    ASSIGN_OR_RETURN(std::optional<Entry> entry, LoadEntry(kv, it->id));
    if (!entry.has_value()) continue;
    v1::SearchHit* hit = response.add_hits();
    *hit->mutable_material() = MakeView(it->id, *entry, keyring);
    hit->set_score(it->score);
    cursor.set_last_id(it->id);
    cursor.set_last_score(it->score);
    cursor.set_last_year(it->doc.year());
    cursor.set_last_time(it->doc.time_unix_micros());
  }
  if (start + taken < matches.end()) {
    cursor.set_query_fingerprint(fingerprint);
    response.set_next_cursor(absl::WebSafeBase64Escape(cursor.SerializeAsString()));
  }
  return response;
}

}  // namespace minga
