// What the search index holds for one material: a Xapian document.
//
// Terms (Xapian's convention: an upper-case prefix names the kind):
//   Z<stem>              a word of the text, stemmed in its language; wdf
//                        weighted by field: title 3, other titles and
//                        topics 2, summary and publisher 1
//   XS<sector> XK<kind> XP<population> XL<language> XC<country>
//   XO<origin> XY<year>  facet values, boolean (wdf 0)
//   Q<material id>       the material, unique
//   P<two bytes>         two common stems that follow each other in the
//                        word sequence, boolean (common_words.h)
// Values: kIdSlot the material id, kDateSlot the date order (EncodeDateOrder),
// kSequenceSlot the text's word sequence for phrases: each word's stem as a
// 3-byte hash (WordHash), stop words left out, kFieldBreak between fields.
// Phrases are checked there rather than in Xapian's positional table,
// which costs some 16 bytes a word on disk (the whole sequence costs 3)
// and a lookup per document. kCommonSlot: the Vintage of the common words
// its pair terms were built with (EncodeVintage).
// Data: the title and topic words, for the spelling dictionary (removed
// with the document).
//
// Thread safety: pure functions; the Stemmers argument is the caller's.
#ifndef MINGA_NODE_SEARCH_DOCUMENT_H_
#define MINGA_NODE_SEARCH_DOCUMENT_H_

#include <xapian.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "minga/v1/material.pb.h"
#include "node/search/analyzer.h"
#include "node/search/common_words.h"

namespace minga::search {

inline constexpr Xapian::valueno kIdSlot = 0;
inline constexpr Xapian::valueno kDateSlot = 1;
inline constexpr Xapian::valueno kSequenceSlot = 2;
inline constexpr Xapian::valueno kCommonSlot = 3;

// The value of kCommonSlot, and back (the lists empty for a malformed one).
std::string EncodeVintage(Vintage v);
Vintage DecodeVintage(absl::string_view value);

// 32-bit FNV-1a of `bytes`, continuing from `h` (the offset basis to
// start); stable across runs and machines, so an index can be read by
// another build.
uint32_t Fnv1a(absl::string_view bytes, uint32_t h = 2166136261u);
// A stem's 24-bit hash in the word sequence (folded Fnv1a).
uint32_t WordHash(absl::string_view stem);
inline constexpr uint32_t kFieldBreak = 0;

inline constexpr absl::string_view kStemPrefix = "Z";
inline constexpr absl::string_view kIdPrefix = "Q";

// The facets, in the order responses list them, with their term prefixes.
struct FacetName {
  absl::string_view name;    // "sector"
  absl::string_view prefix;  // "XS"
};
inline constexpr FacetName kFacets[] = {
    {"sector", "XS"},  {"kind", "XK"},   {"population", "XP"}, {"language", "XL"},
    {"country", "XC"}, {"origin", "XO"}, {"year", "XY"},
};

// "sector", "health" -> "XShealth". `value` must already be normalised.
std::string FacetTerm(absl::string_view facet, absl::string_view value);

// The date order as a number, larger for newer: publication year, then
// the revision's time.
uint64_t DateOrder(uint32_t year, int64_t time_unix_micros);
// The value of kDateSlot (8 bytes, big-endian), and back (0 for a
// malformed one).
std::string EncodeDateOrder(uint64_t order);
uint64_t DecodeDateOrder(absl::string_view value);

struct IndexedDocument {
  Xapian::Document doc;
  // The facet terms it carries (a subset of doc's terms).
  std::vector<std::string> facet_terms;
  // Sum of its text terms' wdf: BM25's document length.
  uint32_t length = 0;
  // Its place in the date order (DateOrder).
  uint64_t date = 0;
  // Title and topic words, for "did you mean".
  std::vector<std::string> spelling;
  // The common words' lists its pair terms were built with.
  Vintage vintage;
};

// `time_unix_micros` is the header time of the revision. With `common`,
// the document holds pair terms of its common words, and tells `common` of
// its stems not common yet and its pairs without a term of their own
// (CommonWords::Consider, CountPair); without, it holds no pair terms.
IndexedDocument BuildDocument(absl::string_view id, const v1::Material& material,
                              int64_t time_unix_micros, Stemmers* stemmers, CommonWords* common);

// The spelling words a document stored in its data.
std::vector<std::string> SpellingWordsOf(const Xapian::Document& doc);

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_DOCUMENT_H_
