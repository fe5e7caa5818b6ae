#include "node/search/analyzer.h"

#include <algorithm>
#include <array>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "node/core/text.h"

namespace minga::search {
namespace {

// Sorted: binary searched. Short function words of es, pt and en, folded.
constexpr std::array<absl::string_view, 96> kStopWords = {
    "a",     "al",   "an",   "and",   "ante", "ao",   "aos",  "are",  "as",   "at",  "be",
    "by",    "como", "con",  "da",    "das",  "de",   "del",  "do",   "dos",  "e",   "el",
    "ela",   "em",   "en",   "entre", "es",   "esta", "este", "for",  "from", "ha",  "has",
    "have",  "in",   "into", "is",    "it",   "its",  "la",   "las",  "le",   "les", "lo",
    "los",   "mais", "mas",  "na",    "nas",  "no",   "nos",  "not",  "o",    "of",  "on",
    "or",    "os",   "ou",   "para",  "pela", "pelo", "per",  "por",  "que",  "se",  "sem",
    "ser",   "sin",  "so",   "sobre", "su",   "sua",  "sus",  "than", "that", "the", "their",
    "this",  "to",   "u",    "um",    "uma",  "un",   "una",  "uno",  "unos", "was", "were",
    "which", "who",  "will", "with",  "y",    "ya",   "you",  "your",
};

// Primary language subtag -> Snowball algorithm, for the languages of the
// region and their neighbours.
constexpr std::pair<absl::string_view, absl::string_view> kAlgorithms[] = {
    {"ca", "catalan"}, {"de", "german"},  {"en", "english"}, {"es", "spanish"},
    {"fr", "french"},  {"it", "italian"}, {"nl", "dutch"},   {"pt", "portuguese"},
};

// A word over kMaxWordBytes is cut at a character boundary: a term must
// stay valid UTF-8.
void CutLongWord(std::string* word) {
  if (word->size() <= kMaxWordBytes) return;
  size_t cut = kMaxWordBytes;
  while (cut > 0 && (static_cast<uint8_t>((*word)[cut]) & 0xC0) == 0x80) --cut;
  word->resize(cut);
}

}  // namespace

std::vector<std::string> SplitWords(absl::string_view text) {
  std::vector<std::string> words;
  if (!IsValidUtf8(text)) return words;
  const std::string folded = FoldText(text);
  std::string current;
  size_t pos = 0;
  while (pos < folded.size()) {
    const size_t start = pos;
    const char32_t cp = NextCodepoint(folded, &pos);
    if (IsWordCodepoint(cp)) {
      current.append(folded, start, pos - start);
    } else if (!current.empty()) {
      CutLongWord(&current);
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) {
    CutLongWord(&current);
    words.push_back(std::move(current));
  }
  return words;
}

std::vector<Word> SplitWordsWithOffsets(absl::string_view text) {
  std::vector<Word> words;
  if (!IsValidUtf8(text)) return words;
  Word current;
  auto flush = [&] {
    if (current.folded.empty()) return;
    CutLongWord(&current.folded);
    words.push_back(std::move(current));
    current = Word();
  };
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t start = pos;
    NextCodepoint(text, &pos);
    // Folding a character may make several ("ß" -> "ss") or none (a
    // combining accent): fold each alone to keep the source offsets.
    const std::string folded = FoldText(text.substr(start, pos - start));
    std::string letters;
    for (size_t i = 0; i < folded.size();) {
      const size_t at = i;
      if (IsWordCodepoint(NextCodepoint(folded, &i))) letters.append(folded, at, i - at);
    }
    if (!letters.empty()) {
      if (current.folded.empty()) current.begin = static_cast<uint32_t>(start);
      current.folded += letters;
      current.end = static_cast<uint32_t>(pos);
    } else if (folded.empty()) {
      if (!current.folded.empty()) current.end = static_cast<uint32_t>(pos);  // a combining mark
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

absl::string_view StemmerName(absl::string_view language) {
  const std::string primary =
      absl::AsciiStrToLower(language.substr(0, language.find_first_of("-_")));
  for (const auto& [tag, algorithm] : kAlgorithms) {
    if (tag == primary) return algorithm;
  }
  return "";
}

std::string Stemmers::Stem(absl::string_view folded_word, absl::string_view language) {
  const absl::string_view algorithm = StemmerName(language);
  if (algorithm.empty()) return std::string(folded_word);
  auto it = by_algorithm_.find(algorithm);
  if (it == by_algorithm_.end()) {
    it = by_algorithm_.emplace(std::string(algorithm), Xapian::Stem(std::string(algorithm))).first;
  }
  std::string word(folded_word);
  // Portuguese nasal plurals (ações, mães, cidadãos) lose their tilde when
  // folded, and Snowball's stemmer then sends them to another stem than
  // their singular (ação): give it the singular.
  if (algorithm == "portuguese" && word.size() > 4 &&
      (absl::EndsWith(word, "oes") || absl::EndsWith(word, "aes") || absl::EndsWith(word, "aos"))) {
    word.replace(word.size() - 3, 3, "ao");
  }
  return FoldText(it->second(word));
}

}  // namespace minga::search
