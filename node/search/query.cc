// One search request, step by step (see query.h). Over 400 lines because
// the steps share the request's checked form and the ranked set, and each
// is short; apart they would need a header of internals for one caller.
#include "node/search/query.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "minga/v1/storage.pb.h"
#include "node/catalog/entry.h"
#include "node/core/crypto.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/proto_util.h"
#include "node/core/status_macros.h"
#include "node/core/text.h"
#include "node/core/validate.h"
#include "node/core/vocabulary.h"
#include "node/search/analyzer.h"
#include "node/search/document.h"
#include "node/search/matcher.h"
#include "node/search/search_view.h"

namespace minga::search {
namespace {

constexpr int kDefaultPageSize = 20;
constexpr int kMaxSearchPageSize = 100;
constexpr int kMaxFacetValues = 50;
constexpr size_t kMaxPrefixExpansions = 64;
constexpr size_t kMinPrefixBytes = 2;
constexpr double kPrefixWeight = 0.6;
constexpr size_t kSnippetBytes = 240;

// One filter list of the request, as facet terms (any of them matches).
struct FilterGroup {
  std::vector<std::string> terms;
};

absl::StatusOr<std::vector<FilterGroup>> Filters(const v1::SearchRequest& r) {
  std::vector<FilterGroup> out;
  auto add = [&](absl::string_view field, absl::string_view facet,
                 const google::protobuf::RepeatedPtrField<std::string>& values, auto normalize,
                 auto valid, absl::string_view expected) -> absl::Status {
    if (values.empty()) return absl::OkStatus();
    if (values.size() > 64) {
      return absl::InvalidArgumentError(absl::StrCat(field, ": at most 64 values"));
    }
    FilterGroup group;
    for (int i = 0; i < values.size(); ++i) {
      if (!IsValidUtf8(values[i])) {
        return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "]: not valid UTF-8"));
      }
      const std::string v = normalize(absl::StripAsciiWhitespace(values[i]));
      if (!valid(v)) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, "[", i, "]: unknown value '", values[i], "'; expected ", expected));
      }
      group.terms.push_back(FacetTerm(facet, v));
    }
    out.push_back(std::move(group));
    return absl::OkStatus();
  };
  auto lower = [](absl::string_view s) { return absl::AsciiStrToLower(s); };
  auto same = [](absl::string_view s) { return std::string(s); };
  // The same normal forms materials are stored with: "pt-br" finds pt-BR.
  auto language = [](absl::string_view s) { return NormalizeLanguage(s); };
  auto country = [](absl::string_view s) { return NormalizeCountry(s); };
  RETURN_IF_ERROR(add("sectors", "sector", r.sectors(), lower, IsSector,
                      absl::StrCat("one of ", JoinVocabulary(Sectors()))));
  RETURN_IF_ERROR(add("kinds", "kind", r.kinds(), lower, IsKind,
                      absl::StrCat("one of ", JoinVocabulary(Kinds()))));
  RETURN_IF_ERROR(add("populations", "population", r.populations(), lower, IsPopulation,
                      absl::StrCat("one of ", JoinVocabulary(Populations()))));
  RETURN_IF_ERROR(add("languages", "language", r.languages(), language, IsLanguageTag,
                      "a BCP-47 tag such as es, pt-BR or qu"));
  RETURN_IF_ERROR(add("countries", "country", r.countries(), country, IsCountry,
                      "an ISO 3166-1 alpha-2 code, LAC or global"));
  RETURN_IF_ERROR(add("origins", "origin", r.origins(), same, IsValidOrgId, "an org id"));
  return out;
}

std::string Fingerprint(const v1::SearchRequest& r) {
  v1::SearchRequest key = r;
  key.clear_cursor();
  key.clear_page_size();
  key.clear_include_chunk_hashes();
  return DigestToHex(Sha256(key.SerializeAsString())).substr(0, 16);
}

// The terms a query word matches: its stems in the catalog's languages and
// in those the request filters on, and the word as written (text in a
// language without a stemmer is indexed so).
std::vector<std::string> Variants(const std::string& folded,
                                  const std::vector<std::string>& languages, Stemmers* stemmers) {
  std::set<std::string> terms{absl::StrCat(kStemPrefix, folded)};
  for (absl::string_view l : kQueryLanguages) {
    terms.insert(absl::StrCat(kStemPrefix, stemmers->Stem(folded, l)));
  }
  for (const std::string& l : languages) {
    terms.insert(absl::StrCat(kStemPrefix, stemmers->Stem(folded, l)));
  }
  return std::vector<std::string>(terms.begin(), terms.end());
}

// The most frequent terms a prefix begins.
std::vector<std::string> Expand(const Xapian::Database& db, const std::string& folded) {
  const std::string prefix = absl::StrCat(kStemPrefix, folded);
  std::vector<std::pair<Xapian::doccount, std::string>> found;
  for (auto t = db.allterms_begin(prefix); t != db.allterms_end(prefix); ++t) {
    found.emplace_back(t.get_termfreq(), *t);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> out;
  for (size_t i = 0; i < found.size() && i < kMaxPrefixExpansions; ++i) {
    out.push_back(std::move(found[i].second));
  }
  return out;
}

// A passage of `text` around the first word the query matched, with the
// matched words marked.
void Snippet(absl::string_view text, const std::function<bool(const std::string&)>& matches,
             v1::SearchHit* hit) {
  const std::vector<Word> words = SplitWordsWithOffsets(text);
  std::vector<const Word*> marked;
  for (const Word& w : words) {
    if (!IsStopWord(w.folded) && matches(w.folded)) marked.push_back(&w);
  }
  size_t begin = 0;
  if (!marked.empty() && marked[0]->begin > kSnippetBytes / 4) {
    // Start a few words before the first match, at a word.
    for (const Word& w : words) {
      if (w.begin + kSnippetBytes / 4 >= marked[0]->begin) {
        begin = w.begin;
        break;
      }
    }
  }
  size_t end = text.size();
  if (end - begin > kSnippetBytes) {
    end = begin;
    for (const Word& w : words) {
      if (w.begin < begin) continue;
      if (w.end - begin > kSnippetBytes) break;
      end = w.end;
    }
  }
  std::string snippet = begin > 0 ? "…" : "";
  const size_t shift = snippet.size();
  snippet.append(text.data() + begin, end - begin);
  if (end < text.size()) snippet += "…";
  for (const Word* w : marked) {
    if (w->begin < begin || w->end > end) continue;
    v1::Highlight* h = hit->add_highlights();
    h->set_begin(static_cast<uint32_t>(w->begin - begin + shift));
    h->set_end(static_cast<uint32_t>(w->end - begin + shift));
  }
  hit->set_snippet(std::move(snippet));
}

// The best `page` documents of `matched` by date order (newer first, then
// lower docid) after the cursor.
std::vector<Ranked> ByDate(const Roaring& matched, const std::vector<uint64_t>& dates, size_t page,
                           bool has_after, uint64_t after_date, Xapian::docid after_did,
                           uint64_t* after_count) {
  auto before = [](const Ranked& a, const Ranked& b) {
    return a.date != b.date ? a.date > b.date : a.did < b.did;
  };
  std::vector<Ranked> heap;
  for (auto it = matched.begin(); it != matched.end(); ++it) {
    const Xapian::docid did = *it;
    const uint64_t d = did < dates.size() ? dates[did] : 0;
    if (has_after && (d > after_date || (d == after_date && did <= after_did))) continue;
    ++*after_count;
    const Ranked r{0, did, d};
    if (heap.size() < page) {
      heap.push_back(r);
      std::push_heap(heap.begin(), heap.end(), before);
    } else if (!heap.empty() && before(r, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), before);
      heap.back() = r;
      std::push_heap(heap.begin(), heap.end(), before);
    }
  }
  std::sort(heap.begin(), heap.end(), before);
  return heap;
}

}  // namespace

ParsedQuery ParseQuery(absl::string_view text) {
  ParsedQuery q;
  bool any = false;
  size_t start = 0;
  bool quoted = false;
  while (start <= text.size()) {
    size_t quote = text.find('"', start);
    if (quote == absl::string_view::npos) quote = text.size();
    const absl::string_view part = text.substr(start, quote - start);
    std::vector<size_t> phrase;
    for (const Word& w : SplitWordsWithOffsets(part)) {
      any = true;
      if (IsStopWord(w.folded)) continue;
      const bool prefix = !quoted && w.end < part.size() && part[w.end] == '*';
      if (prefix && w.folded.size() < kMinPrefixBytes) continue;
      q.words.push_back({w.folded, prefix});
      phrase.push_back(q.words.size() - 1);
    }
    if (quoted && phrase.size() > 1) q.phrases.push_back(std::move(phrase));
    quoted = !quoted;
    if (quote == text.size()) break;
    start = quote + 1;
  }
  q.only_stop_words = any && q.words.empty();
  return q;
}

namespace {

// A request, checked: everything it can get wrong is refused before any work.
struct CheckedRequest {
  ParsedQuery query;
  std::vector<FilterGroup> filters;
  int page_size = 0;
  std::string fingerprint;
  bool has_cursor = false;
  v1::storage::SearchCursor cursor;
  bool by_date = false;
};

absl::StatusOr<CheckedRequest> CheckRequest(const SearchInputs& in,
                                            const v1::SearchRequest& request) {
  if (!IsValidUtf8(request.query())) {
    return absl::InvalidArgumentError("query: not valid UTF-8");
  }
  const size_t chars = Utf8Length(request.query());
  if (chars > kMaxQueryChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("query: ", chars, " characters, at most ", kMaxQueryChars));
  }
  CheckedRequest c;
  c.page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  if (c.page_size < 1 || c.page_size > kMaxSearchPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: ", request.page_size(),
                                                   " is not between 1 and ", kMaxSearchPageSize));
  }
  if (request.year_min() != 0 && request.year_max() != 0 &&
      request.year_min() > request.year_max()) {
    return absl::InvalidArgumentError("year_min: is after year_max");
  }
  ASSIGN_OR_RETURN(c.filters, Filters(request));
  c.query = ParseQuery(request.query());
  if (c.query.words.size() > kMaxQueryWords) {
    return absl::InvalidArgumentError(
        absl::StrCat("query: ", c.query.words.size(), " words, at most ", kMaxQueryWords));
  }
  c.fingerprint = Fingerprint(request);
  c.has_cursor = !request.cursor().empty();
  if (c.has_cursor) {
    std::string raw;
    if (!absl::WebSafeBase64Unescape(request.cursor(), &raw) || !ParseProto(raw, &c.cursor)) {
      return absl::InvalidArgumentError("cursor: malformed");
    }
    if (c.cursor.query_fingerprint() != c.fingerprint) {
      return absl::InvalidArgumentError(
          "cursor: belongs to another query, filters or sort; start without it");
    }
    if (c.cursor.generation() != in.generation) {
      return absl::InvalidArgumentError(
          "cursor: the search index was rebuilt since; start again without it");
    }
    if (c.cursor.word_weights_size() != static_cast<int>(c.query.words.size())) {
      return absl::InvalidArgumentError("cursor: malformed");
    }
    // Scores, and their bounds by block, assume these.
    for (const double w : c.cursor.word_weights()) {
      if (!std::isfinite(w) || w < 0) {
        return absl::InvalidArgumentError("cursor: malformed (a word's weight)");
      }
    }
    if (!std::isfinite(c.cursor.avg_length()) || c.cursor.avg_length() <= 0) {
      return absl::InvalidArgumentError("cursor: malformed (average length)");
    }
  }
  c.by_date = request.sort() == v1::SearchRequest::DATE ||
              (request.sort() == v1::SearchRequest::SORT_DEFAULT && c.query.words.empty());
  return c;
}

// The query's words as the matcher weighs them. A page after the first
// keeps the weights and average length of the first (from the cursor), so
// scores compare across pages. `unknown[i]`: word i is in no document.
void AddWords(const Xapian::Database& db, const CheckedRequest& c,
              const std::vector<std::string>& languages, Stemmers* stemmers, MatchSpec* spec,
              std::set<std::string>* all_terms, std::vector<bool>* unknown) {
  const double documents = std::max<double>(1, db.get_doccount());
  spec->avg_length = c.has_cursor ? c.cursor.avg_length() : std::max(1.0, db.get_avlength());
  unknown->assign(c.query.words.size(), false);
  for (size_t i = 0; i < c.query.words.size(); ++i) {
    const ParsedQuery::Word& w = c.query.words[i];
    QueryWord word;
    word.terms = w.prefix ? Expand(db, w.folded) : Variants(w.folded, languages, stemmers);
    for (const std::string& t : word.terms) {
      word.hashes.push_back(WordHash(absl::string_view(t).substr(kStemPrefix.size())));
    }
    Xapian::doccount df = 0;
    for (const std::string& t : word.terms) df = std::max(df, db.get_termfreq(t));
    (*unknown)[i] = df == 0;
    word.weight = c.has_cursor ? c.cursor.word_weights(static_cast<int>(i))
                               : Idf(documents, df) * (w.prefix ? kPrefixWeight : 1.0);
    all_terms->insert(word.terms.begin(), word.terms.end());
    spec->words.push_back(std::move(word));
  }
  spec->phrases = c.query.phrases;
}

// What phrases need of the common words: the lists, and the documents'
// vintages unless the reader is older than the stats.
void SetCommonWords(const DocStats::View& stats, const Xapian::Database& db, MatchSpec* spec) {
  if (spec->phrases.empty()) return;
  spec->common = &stats.common;
  spec->vintages = db.get_revision() >= stats.revision ? &stats.vintages : nullptr;
}

// Filters, years and the dead, as one bitmap of what may match.
Roaring Allowed(const SearchInputs& in, const DocStats::View& stats,
                const std::vector<FilterGroup>& filters, const v1::SearchRequest& request) {
  Roaring allowed = stats.all;
  for (const FilterGroup& g : filters) {
    Roaring any;
    for (const std::string& t : g.terms) {
      auto it = stats.facets.find(t);
      if (it != stats.facets.end()) any |= it->second;
    }
    allowed &= any;
  }
  if (request.year_min() != 0 || request.year_max() != 0) {
    Roaring years;
    const std::string prefix = FacetTerm("year", "");
    for (auto it = stats.facets.lower_bound(prefix);
         it != stats.facets.end() && absl::StartsWith(it->first, prefix); ++it) {
      uint32_t year = 0;
      if (!absl::SimpleAtoi(absl::string_view(it->first).substr(prefix.size()), &year)) continue;
      if (request.year_min() != 0 && year < request.year_min()) continue;
      if (request.year_max() != 0 && year > request.year_max()) continue;
      years |= it->second;
    }
    allowed &= years;
  }
  for (const std::string& id : in.dead_ids) {
    const std::string term = absl::StrCat(kIdPrefix, id);
    for (auto p = in.db->postlist_begin(term); p != in.db->postlist_end(term); ++p) {
      allowed.remove(*p);
    }
  }
  return allowed;
}

// Facet counts over the whole matching set, most frequent first.
void CountFacets(const DocStats::View& stats, const Roaring& matched,
                 v1::SearchResponse* response) {
  std::vector<std::vector<std::pair<uint64_t, std::string>>> counts(std::size(kFacets));
  for (auto& [term, n] : stats.profiles.Count(matched)) {
    for (size_t f = 0; f < std::size(kFacets); ++f) {
      if (!absl::StartsWith(term, kFacets[f].prefix)) continue;
      counts[f].emplace_back(n, term.substr(kFacets[f].prefix.size()));
      break;
    }
  }
  for (size_t f = 0; f < std::size(kFacets); ++f) {
    if (counts[f].empty()) continue;
    std::sort(counts[f].begin(), counts[f].end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    v1::Facet* facet = response->add_facets();
    facet->set_name(std::string(kFacets[f].name));
    for (size_t i = 0; i < counts[f].size() && i < kMaxFacetValues; ++i) {
      v1::FacetCount* count = facet->add_counts();
      count->set_value(counts[f][i].second);
      count->set_count(counts[f][i].first);
    }
  }
}

// A word of a hit's text is marked when its stem in the material's
// language is one of the query's terms, or a prefix word starts it. Words
// repeat across hits: cached.
class Marker {
 public:
  Marker(const ParsedQuery& query, const std::set<std::string>& terms, Stemmers* stemmers)
      : query_(query), terms_(terms), stemmers_(stemmers) {}

  std::function<bool(const std::string&)> For(const v1::Material& m) {
    const std::string language = m.languages().empty() ? m.title_language() : m.languages(0);
    return [this, language](const std::string& folded) {
      auto [it, fresh] = marked_.try_emplace({language, folded}, false);
      if (!fresh) return it->second;
      bool hit = terms_.count(absl::StrCat(kStemPrefix, folded)) > 0 ||
                 terms_.count(absl::StrCat(kStemPrefix, stemmers_->Stem(folded, language))) > 0;
      for (const ParsedQuery::Word& w : query_.words) {
        hit |= w.prefix && absl::StartsWith(folded, w.folded);
      }
      it->second = hit;
      return hit;
    };
  }

 private:
  const ParsedQuery& query_;
  const std::set<std::string>& terms_;
  Stemmers* const stemmers_;
  std::map<std::pair<std::string, std::string>, bool> marked_;
};

// The page's hits, read from the live store: a material that lost its body
// since the index saw it is not shown. Returns the last entry of the page
// that was looked at, and how many were (`shown`); the page stops early at
// kMaxPageBytes.
absl::StatusOr<const Ranked*> AddHits(const SearchInputs& in, const v1::SearchRequest& request,
                                      const CheckedRequest& c, const std::vector<Ranked>& page,
                                      Marker* marker, size_t* shown, v1::SearchResponse* response) {
  size_t bytes = 0;
  const Ranked* last = nullptr;
  for (const Ranked& r : page) {
    const std::string id = in.db->get_document(r.did).get_value(kIdSlot);
    ASSIGN_OR_RETURN(std::optional<Entry> entry, in.catalog->GetEntry(id));
    if (!entry.has_value() || !entry->has_body()) {
      last = &r;
      ++*shown;
      continue;
    }
    v1::SearchHit hit;
    *hit.mutable_material() = MakeView(id, *entry, in.catalog->keyring());
    if (!request.include_chunk_hashes()) StripChunkHashes(hit.mutable_material());
    hit.set_score(c.by_date ? 0 : r.score);
    if (!c.query.words.empty()) {
      const v1::Material& m = *entry->material;
      Snippet(m.summary().empty() ? m.title() : m.summary(), marker->For(m), &hit);
    }
    const size_t size = hit.ByteSizeLong();
    if (response->hits_size() > 0 && bytes + size > kMaxPageBytes) break;
    bytes += size;
    last = &r;
    ++*shown;
    *response->add_hits() = std::move(hit);
  }
  return last;
}

// "Did you mean": the unknown words replaced by the closest known ones, or
// empty when none has a suggestion.
std::string Suggestion(const Xapian::Database& db, const ParsedQuery& query,
                       const std::vector<bool>& unknown) {
  std::vector<std::string> words;
  bool changed = false;
  for (size_t i = 0; i < query.words.size(); ++i) {
    std::string w = query.words[i].folded;
    if (unknown[i] && !query.words[i].prefix) {
      const std::string s = db.get_spelling_suggestion(w);
      if (!s.empty() && s != w) {
        w = s;
        changed = true;
      }
    }
    words.push_back(query.words[i].prefix ? w + "*" : w);
  }
  return changed ? absl::StrJoin(words, " ") : "";
}

}  // namespace

absl::StatusOr<v1::SearchResponse> RunSearch(const SearchInputs& in,
                                             const v1::SearchRequest& request) {
  ASSIGN_OR_RETURN(CheckedRequest c, CheckRequest(in, request));
  v1::SearchResponse response;
  response.set_index_lag(in.lag);
  if (c.query.only_stop_words) {
    response.set_note(
        "the query has only common words (like 'de', 'the', 'para'); add a word that says what "
        "you look for");
    return response;
  }
  const Xapian::Database& db = *in.db;
  // Stems in the languages the request filters on too.
  std::vector<std::string> languages;
  for (const std::string& l : request.languages()) languages.push_back(NormalizeLanguage(l));
  Stemmers stemmers;
  MatchSpec spec;
  spec.page = static_cast<size_t>(c.page_size);
  std::set<std::string> all_terms;  // for snippets
  std::vector<bool> unknown;        // for suggestions
  AddWords(db, c, languages, &stemmers, &spec, &all_terms, &unknown);

  MatchResult result;
  uint64_t after_count = 0;
  in.stats->Read([&](const DocStats::View& stats) {
    const Roaring allowed = Allowed(in, stats, c.filters, request);
    spec.allowed = &allowed;
    spec.lengths = &stats.lengths;
    SetCommonWords(stats, db, &spec);
    // Score bounds only for a reader at the stats' revision (doc_stats.h).
    ScoreBounds bounds;
    bounds.stamps = &stats.block_stamps;
    bounds.min_lengths = &stats.block_min_lengths;
    bounds.term = [&](const std::string& term) {
      return stats.bounds.Get(db, term, stats.commits, stats.touched);
    };
    if (db.get_revision() == stats.revision) spec.bounds = &bounds;
    if (c.by_date) {
      spec.rank = false;  // the matcher finds the set; the date order picks the page
      result = Match(db, spec);
      result.page = ByDate(result.matched, stats.dates, spec.page, c.has_cursor,
                           c.cursor.last_date(), c.cursor.last_document(), &after_count);
    } else {
      spec.has_after = c.has_cursor;
      spec.after = {c.cursor.last_score(), c.cursor.last_document()};
      result = Match(db, spec);
      after_count = result.after_count;
    }
    CountFacets(stats, result.matched, &response);
  });
  response.set_total(result.matched.cardinality());

  Marker marker(c.query, all_terms, &stemmers);
  size_t shown = 0;
  ASSIGN_OR_RETURN(const Ranked* last,
                   AddHits(in, request, c, result.page, &marker, &shown, &response));
  if (last != nullptr && after_count > shown) {
    v1::storage::SearchCursor& cursor = c.cursor;
    cursor.set_query_fingerprint(c.fingerprint);
    cursor.set_generation(in.generation);
    cursor.set_last_document(last->did);
    if (c.by_date) {
      cursor.set_last_date(last->date);
    } else {
      cursor.set_last_score(last->score);
    }
    cursor.set_avg_length(spec.avg_length);
    cursor.clear_word_weights();
    for (const QueryWord& w : spec.words) cursor.add_word_weights(w.weight);
    response.set_next_cursor(absl::WebSafeBase64Escape(cursor.SerializeAsString()));
  }
  if (response.total() == 0 && !c.query.words.empty()) {
    response.set_suggestion(Suggestion(db, c.query, unknown));
  }
  return response;
}

}  // namespace minga::search
