#include "node/core/vocabulary.h"

#include <algorithm>
#include <array>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"

namespace minga {
namespace {

constexpr std::array<absl::string_view, 10> kKinds = {"guide",   "protocol", "toolkit", "training",
                                                      "report",  "policy",   "model",   "practice",
                                                      "dataset", "video"};

constexpr std::array<absl::string_view, 5> kSectors = {"health", "social_services", "police",
                                                       "justice", "coordination"};

constexpr std::array<absl::string_view, 9> kPopulations = {
    "indigenous", "afrodescendant", "disability", "lgbtiq", "migrant",
    "rural",      "adolescent",     "older",      "general"};

// ISO 3166-1 alpha-2, sorted (from the iso-codes database).
constexpr absl::string_view kCountryCodes =
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI "
    "BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN "
    "CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK "
    "FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK "
    "ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP "
    "NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF "
    "TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW";

template <size_t N>
bool Contains(const std::array<absl::string_view, N>& values, absl::string_view v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::span<const absl::string_view> Kinds() { return kKinds; }
std::span<const absl::string_view> Sectors() { return kSectors; }
std::span<const absl::string_view> Populations() { return kPopulations; }

bool IsKind(absl::string_view v) { return Contains(kKinds, v); }
bool IsSector(absl::string_view v) { return Contains(kSectors, v); }
bool IsPopulation(absl::string_view v) { return Contains(kPopulations, v); }

bool IsCountry(absl::string_view v) {
  if (v == "LAC" || v == "global") return true;
  if (v.size() != 2 || !(v[0] >= 'A' && v[0] <= 'Z') || !(v[1] >= 'A' && v[1] <= 'Z')) {
    return false;
  }
  // Codes are 3 bytes apart in the sorted list; binary search over them.
  size_t lo = 0, hi = (kCountryCodes.size() + 1) / 3;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    const absl::string_view code = kCountryCodes.substr(mid * 3, 2);
    if (code == v) return true;
    if (code < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return false;
}

bool IsLanguageTag(absl::string_view v) {
  if (v.empty() || v.size() > 35) return false;
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t end = v.find('-', start);
    if (end == absl::string_view::npos) end = v.size();
    const absl::string_view sub = v.substr(start, end - start);
    if (first) {
      const bool len_ok =
          (sub.size() >= 2 && sub.size() <= 3) || (sub.size() >= 5 && sub.size() <= 8);
      if (!len_ok || !std::all_of(sub.begin(), sub.end(), IsAlpha)) {
        return false;
      }
      first = false;
    } else {
      if (sub.empty() || sub.size() > 8) return false;
      for (char c : sub) {
        if (!IsAlpha(c) && !IsDigit(c)) return false;
      }
    }
    if (end == v.size()) return true;
    start = end + 1;
  }
}

std::string JoinVocabulary(std::span<const absl::string_view> values) {
  return absl::StrJoin(values, ", ");
}

}  // namespace minga
