#include "node/core/subscription.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/core/crypto.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/status_macros.h"
#include "node/core/vocabulary.h"

namespace minga {
namespace {

using ::google::protobuf::RepeatedPtrField;

bool AnyOf(const RepeatedPtrField<std::string>& wanted, const RepeatedPtrField<std::string>& have) {
  if (wanted.empty()) return true;
  for (const std::string& w : wanted) {
    if (std::find(have.begin(), have.end(), w) != have.end()) return true;
  }
  return false;
}

absl::Status CheckList(absl::string_view field, absl::string_view list,
                       const RepeatedPtrField<std::string>& values,
                       bool (*known)(absl::string_view), absl::string_view what) {
  if (values.size() > static_cast<int>(kMaxListItems) * 8) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".", list, ": too many entries"));
  }
  for (int i = 0; i < values.size(); ++i) {
    if (!known(values[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".", list, "[", i, "]: '", values[i], "' is not ", what));
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool SubscriptionMatches(const v1::Subscription& s, absl::string_view origin,
                         const v1::Material& m) {
  if (!s.origins().empty() &&
      std::find(s.origins().begin(), s.origins().end(), origin) == s.origins().end()) {
    return false;
  }
  if (!s.kinds().empty() &&
      std::find(s.kinds().begin(), s.kinds().end(), m.kind()) == s.kinds().end()) {
    return false;
  }
  return AnyOf(s.sectors(), m.sectors()) && AnyOf(s.languages(), m.languages()) &&
         AnyOf(s.countries(), m.countries());
}

bool SubscriptionLooksInsideBodies(const v1::Subscription& s) {
  return !s.kinds().empty() || !s.sectors().empty() || !s.languages().empty() ||
         !s.countries().empty();
}

absl::Status ValidateSubscription(const v1::Subscription& s, absl::string_view field) {
  RETURN_IF_ERROR(CheckList(field, "origins", s.origins(), IsValidOrgId, "an org id"));
  RETURN_IF_ERROR(CheckList(field, "kinds", s.kinds(), IsKind,
                            absl::StrCat("a kind (", JoinVocabulary(Kinds()), ")")));
  RETURN_IF_ERROR(CheckList(field, "sectors", s.sectors(), IsSector,
                            absl::StrCat("a sector (", JoinVocabulary(Sectors()), ")")));
  RETURN_IF_ERROR(
      CheckList(field, "languages", s.languages(), IsLanguageTag, "a BCP-47 language tag"));
  RETURN_IF_ERROR(CheckList(field, "countries", s.countries(), IsCountry,
                            "an ISO 3166-1 alpha-2 code, LAC or global"));
  return absl::OkStatus();
}

std::string SubscriptionFingerprint(const v1::Subscription& s) {
  // Sorted, so reordering a list in the config is not a change.
  auto sorted = [](const RepeatedPtrField<std::string>& v) {
    std::set<std::string> set(v.begin(), v.end());
    return absl::StrJoin(set, ",");
  };
  const std::string canonical =
      absl::StrCat("o=", sorted(s.origins()), ";k=", sorted(s.kinds()), ";s=", sorted(s.sectors()),
                   ";l=", sorted(s.languages()), ";c=", sorted(s.countries()));
  return DigestToHex(Sha256(canonical)).substr(0, 16);
}

}  // namespace minga
