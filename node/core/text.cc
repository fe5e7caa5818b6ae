#include "node/core/text.h"

#include <cstdint>

namespace minga {

bool IsValidUtf8(absl::string_view s, size_t* bad_offset) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t len;
    char32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    if (i + len > n) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<uint8_t>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        if (bad_offset) *bad_offset = i;
        return false;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

size_t Utf8Length(absl::string_view s) {
  size_t count = 0;
  for (char c : s) {
    if ((static_cast<uint8_t>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

char32_t NextCodepoint(absl::string_view s, size_t* pos) {
  const auto c = static_cast<uint8_t>(s[*pos]);
  if (c < 0x80) {
    ++*pos;
    return c;
  }
  size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  char32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < len && *pos + k < s.size(); ++k) {
    cp = (cp << 6) | (static_cast<uint8_t>(s[*pos + k]) & 0x3F);
  }
  *pos += len;
  return cp;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

namespace {

// Folding of U+00C0..U+00FF (Latin-1 Supplement letters), lower case ASCII.
// Index = cp - 0xC0. "" marks the two non-letters (multiplication, division).
constexpr const char* kLatin1[64] = {
    "a", "a", "a", "a", "a", "a", "ae", "c",   // C0-C7
    "e", "e", "e", "e", "i", "i", "i",  "i",   // C8-CF
    "d", "n", "o", "o", "o", "o", "o",  "",    // D0-D7
    "o", "u", "u", "u", "u", "y", "th", "ss",  // D8-DF
    "a", "a", "a", "a", "a", "a", "ae", "c",   // E0-E7
    "e", "e", "e", "e", "i", "i", "i",  "i",   // E8-EF
    "d", "n", "o", "o", "o", "o", "o",  "",    // F0-F7
    "o", "u", "u", "u", "u", "y", "th", "y",   // F8-FF
};

// Base letter of each of U+0100..U+017F (Latin Extended-A); index = cp -
// 0x100. The ligatures IJ and OE are handled apart.
constexpr char kLatinExtA[] =
    "aaaaaaccccccccdd"   // 0100-010F
    "ddeeeeeeeeeegggg"   // 0110-011F
    "gggghhhhiiiiiiii"   // 0120-012F
    "iiijjjkkklllllll"   // 0130-013F
    "lllnnnnnnnnnoooo"   // 0140-014F
    "oooerrrrrrssssss"   // 0150-015F
    "ssttttttuuuuuuuu"   // 0160-016F
    "uuuuwwyyyzzzzzzs";  // 0170-017F

}  // namespace

std::string FoldText(absl::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  size_t pos = 0;
  while (pos < utf8.size()) {
    const char32_t cp = NextCodepoint(utf8, &pos);
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      out.push_back(c);
    } else if (cp >= 0xC0 && cp <= 0xFF) {
      const char* f = kLatin1[cp - 0xC0];
      if (*f == '\0') {
        AppendUtf8(cp, &out);
      } else {
        out += f;
      }
    } else if (cp >= 0x100 && cp <= 0x17F) {
      if (cp == 0x132 || cp == 0x133) {
        out += "ij";
      } else if (cp == 0x152 || cp == 0x153) {
        out += "oe";
      } else {
        out.push_back(kLatinExtA[cp - 0x100]);
      }
    } else if (cp >= 0x300 && cp <= 0x36F) {
      // Combining marks (decomposed accents) fold to nothing.
    } else if (cp == 0xAA) {
      out.push_back('a');  // feminine ordinal, as in "1ª"
    } else if (cp == 0xBA) {
      out.push_back('o');
    } else if (cp >= 0x391 && cp <= 0x3A9) {
      AppendUtf8(cp + 0x20, &out);  // Greek capitals
    } else if (cp >= 0x410 && cp <= 0x42F) {
      AppendUtf8(cp + 0x20, &out);  // Cyrillic capitals
    } else {
      AppendUtf8(cp, &out);
    }
  }
  return out;
}

bool IsWordCodepoint(char32_t cp) {
  if (cp < 0x80) {
    return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
  }
  // Latin-1 punctuation and symbols separate words; letters do not.
  if (cp < 0xC0) return cp == 0xAA || cp == 0xBA;
  if (cp == 0xD7 || cp == 0xF7) return false;
  // General punctuation, spaces, symbols.
  if ((cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F)) {
    return false;
  }
  return true;
}

bool HasControlChars(absl::string_view s, absl::string_view allowed) {
  size_t pos = 0;
  while (pos < s.size()) {
    const char32_t cp = NextCodepoint(s, &pos);
    const bool control = cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0);
    if (control && !(cp < 0x80 && allowed.find(static_cast<char>(cp)) != absl::string_view::npos)) {
      return true;
    }
  }
  return false;
}

}  // namespace minga
