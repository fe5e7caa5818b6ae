// The federation's members and the public keys that sign their revisions.
//
// A member has one current key, and may have retired keys (after a key was
// lost or stolen and replaced): a retired key still vouches for the
// revisions it signed below the version it was retired from, and for none
// at or above it, so whoever holds it cannot sign anything new.
//
// Immutable after construction: share it freely between threads.
#ifndef MINGA_NODE_CORE_KEYRING_H_
#define MINGA_NODE_CORE_KEYRING_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "node/core/crypto.h"

namespace minga {

struct RetiredKey {
  PublicKey key;
  // Revisions at this version or above signed with `key` are refused.
  uint64_t retired_from_version = 0;
};

struct MemberKeys {
  PublicKey current;
  std::vector<RetiredKey> retired;
};

class Keyring {
 public:
  Keyring() = default;
  // Members with their current keys only.
  explicit Keyring(std::map<std::string, PublicKey, std::less<>> keys);
  explicit Keyring(std::map<std::string, MemberKeys, std::less<>> members)
      : members_(std::move(members)) {}

  // The current key of a member, or nullptr when `org_id` is not a member.
  // The pointer lives as long as the Keyring.
  const PublicKey* Find(absl::string_view org_id) const;
  bool IsMember(absl::string_view org_id) const { return Find(org_id) != nullptr; }

  // The keys a revision of `org_id` at `version` may verify with: the
  // current one, then each retired one retired above `version`. Empty for
  // a non-member.
  std::vector<const PublicKey*> KeysFor(absl::string_view org_id, uint64_t version) const;

  // A retired key of `org_id` that `version` is at or above, if any
  // (to say why a signature is refused).
  const RetiredKey* RetiredBelow(absl::string_view org_id, uint64_t version) const;

  // Hex digest of every member and key: changes when membership or keys do.
  std::string Fingerprint() const;

 private:
  std::map<std::string, MemberKeys, std::less<>> members_;
};

}  // namespace minga

#endif  // MINGA_NODE_CORE_KEYRING_H_
