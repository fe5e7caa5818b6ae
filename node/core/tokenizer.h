// Search tokenisation for Spanish, Portuguese and English text.
//
// Text is folded (lower case, accents removed: "Práctica" -> "practica"),
// split into words of letters and digits, stripped of common stop words of
// the three languages, and lightly stemmed so singular and plural meet
// ("prácticas" and "practica" -> "practic", "ações" and "ação" -> "aca",
// "mujeres" and "mujer" -> "mujer", "policies" and "policy" -> "policy").
// The stemmer only removes plural endings and one final vowel: it is
// predictable, and it makes some cross-language pairs meet too ("protocolo"
// and "protocol", "víctimas" and "victims").
//
// Pure functions, thread-safe.
#ifndef MINGA_NODE_CORE_TOKENIZER_H_
#define MINGA_NODE_CORE_TOKENIZER_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace minga {

// Folded words of `text` in order, stop words included, not stemmed.
// Words longer than 64 bytes are cut to at most 64, at a character boundary.
std::vector<std::string> SplitWords(absl::string_view utf8_text);

bool IsStopWord(absl::string_view folded_word);

// The stem of a folded word.
std::string Stem(absl::string_view folded_word);

// SplitWords, minus stop words, stemmed: the terms indexed and searched.
std::vector<std::string> Terms(absl::string_view utf8_text);

}  // namespace minga

#endif  // MINGA_NODE_CORE_TOKENIZER_H_
