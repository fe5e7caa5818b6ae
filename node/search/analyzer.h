// Text analysis for the search index: folding, words, stop words and
// Snowball stemming by language.
//
// Text is folded (lower case, accents removed: "Violências" -> "violencias")
// and split into words of letters and digits. Stop words of Spanish,
// Portuguese and English are dropped (a phrase skips them too). Each word is
// stemmed with the Snowball stemmer of the language the text is in (Xapian's
// stemmers: "violencias" and "violencia" meet, "mujeres" and "mujer" meet);
// text in a language without a stemmer (Indigenous languages such as qu, gn
// or ay, or an unknown tag) is indexed folded but unstemmed.
//
// Thread safety: the free functions are pure. A Stemmers object is used by
// one thread at a time (Xapian's stemmers keep state while they run).
#ifndef MINGA_NODE_SEARCH_ANALYZER_H_
#define MINGA_NODE_SEARCH_ANALYZER_H_

#include <xapian.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace minga::search {

// Words longer than this many bytes are cut, at a character boundary.
inline constexpr size_t kMaxWordBytes = 64;

// The folded words of `utf8_text` in order, stop words included. Invalid
// UTF-8 yields no words.
std::vector<std::string> SplitWords(absl::string_view utf8_text);

struct Word {
  std::string folded;
  // Where the word is in the text analysed, in bytes: [begin, end).
  uint32_t begin = 0;
  uint32_t end = 0;
};

// SplitWords, with where each word is in the source text (for snippets;
// slower, it folds a character at a time).
std::vector<Word> SplitWordsWithOffsets(absl::string_view utf8_text);

// True for the short function words of es, pt and en ("de", "the", ...).
bool IsStopWord(absl::string_view folded_word);

// The Snowball algorithm for a BCP-47 tag, case-insensitive ("spanish" for
// "es" or "es-MX"), or "" when there is none.
absl::string_view StemmerName(absl::string_view language);

// The languages a query is stemmed in when it names none: the catalog's.
inline constexpr absl::string_view kQueryLanguages[] = {"es", "pt", "en"};

class Stemmers {
 public:
  // The stem of a folded word in `language` (the word itself when the
  // language has no stemmer), folded again so accents the stemmer kept do
  // not matter.
  std::string Stem(absl::string_view folded_word, absl::string_view language);

 private:
  std::map<std::string, Xapian::Stem, std::less<>> by_algorithm_;
};

}  // namespace minga::search

#endif  // MINGA_NODE_SEARCH_ANALYZER_H_
