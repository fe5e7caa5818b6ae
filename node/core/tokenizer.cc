#include "node/core/tokenizer.h"

#include <algorithm>
#include <array>
#include <cstdint>

#include "absl/strings/match.h"
#include "node/core/text.h"

namespace minga {
namespace {

// Sorted: binary searched. Short function words of es, pt and en, folded.
constexpr std::array<absl::string_view, 96> kStopWords = {
    "a",     "al",    "an",    "and",   "ante",  "ao",    "aos",   "are",
    "as",    "at",    "be",    "by",    "como",  "con",   "da",    "das",
    "de",    "del",   "do",    "dos",   "e",     "el",    "ela",   "em",
    "en",    "entre", "es",    "esta",  "este",  "for",   "from",  "ha",
    "has",   "have",  "in",    "into",  "is",    "it",    "its",   "la",
    "las",   "le",    "les",   "lo",    "los",   "mais",  "mas",   "na",
    "nas",   "no",    "nos",   "not",   "o",     "of",    "on",    "or",
    "os",    "ou",    "para",  "pela",  "pelo",  "per",   "por",   "que",
    "se",    "sem",   "ser",   "sin",   "so",    "sobre", "su",    "sua",
    "sus",   "than",  "that",  "the",   "their", "this",  "to",    "u",
    "um",    "uma",   "un",    "una",   "uno",   "unos",  "was",   "were",
    "which", "who",   "will",  "with",  "y",     "ya",    "you",   "your",
};

bool EndsWith(absl::string_view s, absl::string_view suffix) {
  return absl::EndsWith(s, suffix);
}

}  // namespace

std::vector<std::string> SplitWords(absl::string_view utf8_text) {
  std::vector<std::string> words;
  if (!IsValidUtf8(utf8_text)) return words;
  const std::string folded = FoldText(utf8_text);
  std::string current;
  size_t pos = 0;
  auto flush = [&] {
    if (!current.empty()) {
      if (current.size() > 64) {
        // Cut at a character boundary: a term must stay valid UTF-8.
        size_t cut = 64;
        while (cut > 0 && (static_cast<uint8_t>(current[cut]) & 0xC0) == 0x80) --cut;
        current.resize(cut);
      }
      words.push_back(std::move(current));
      current.clear();
    }
  };
  while (pos < folded.size()) {
    const size_t start = pos;
    const char32_t cp = NextCodepoint(folded, &pos);
    if (IsWordCodepoint(cp)) {
      current.append(folded, start, pos - start);
    } else {
      flush();
    }
  }
  flush();
  return words;
}

bool IsStopWord(absl::string_view w) {
  return std::binary_search(kStopWords.begin(), kStopWords.end(), w);
}

std::string Stem(absl::string_view w) {
  std::string s(w);
  if (s.size() <= 3) return s;
  if (s.size() > 4 && (EndsWith(s, "oes") || EndsWith(s, "aes"))) {
    s.replace(s.size() - 3, 3, "ao");  // pt: acoes -> acao, maes -> mao
  } else if (s.size() > 4 && EndsWith(s, "ais")) {
    s.replace(s.size() - 3, 3, "al");  // pt: nacionais -> nacional
  } else if (s.size() > 4 && EndsWith(s, "eis")) {
    s.replace(s.size() - 3, 3, "el");  // pt: papeis -> papel
  } else if (s.size() > 4 && EndsWith(s, "ies")) {
    s.replace(s.size() - 3, 3, "y");   // en: policies -> policy
  } else if (s.back() == 's' && !EndsWith(s, "ss") && !EndsWith(s, "us") &&
             !EndsWith(s, "is")) {
    s.pop_back();
  }
  // One final vowel: practica/practice -> practic, mujere(s) -> mujer.
  if (s.size() > 4 && (s.back() == 'a' || s.back() == 'e' || s.back() == 'o')) {
    s.pop_back();
  }
  return s;
}

std::vector<std::string> Terms(absl::string_view utf8_text) {
  std::vector<std::string> terms;
  for (std::string& w : SplitWords(utf8_text)) {
    if (IsStopWord(w)) continue;
    terms.push_back(Stem(w));
  }
  return terms;
}

}  // namespace minga
