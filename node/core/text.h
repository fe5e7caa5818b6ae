// UTF-8 checks and case/accent folding shared by validation, ids and search.
// Pure functions, thread-safe.
#ifndef MINGA_NODE_CORE_TEXT_H_
#define MINGA_NODE_CORE_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace minga {

// True when `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF). On false, *bad_offset (if given) is the byte offset
// of the first bad sequence.
bool IsValidUtf8(absl::string_view s, size_t* bad_offset = nullptr);

// Number of code points in valid UTF-8 `s`.
size_t Utf8Length(absl::string_view s);

// Decodes the code point at s[*pos] and advances *pos. REQUIRES: `s` is valid
// UTF-8 and *pos < s.size().
char32_t NextCodepoint(absl::string_view s, size_t* pos);

void AppendUtf8(char32_t cp, std::string* out);

// Lower case with accents and marks removed, for matching: "Práctica" ->
// "practica", "Ñandú" -> "nandu", "ação" -> "acao", "Straße" -> "strasse".
// Letters outside the Latin, Greek and Cyrillic blocks are kept lower-cased
// or as they are. Combining marks (U+0300..U+036F) are dropped.
std::string FoldText(absl::string_view utf8);

// True for code points that separate words (anything that is not a letter or
// digit after folding).
bool IsWordCodepoint(char32_t cp);

// True when `s` contains a C0/C1 control character other than those listed
// in `allowed` (e.g. "\n\t").
bool HasControlChars(absl::string_view s, absl::string_view allowed = "");

}  // namespace minga

#endif  // MINGA_NODE_CORE_TEXT_H_
