// The federation's members and the public keys that sign their revisions.
// Immutable after construction: share it freely between threads.
#ifndef MINGA_NODE_CORE_KEYRING_H_
#define MINGA_NODE_CORE_KEYRING_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "node/core/crypto.h"

namespace minga {

class Keyring {
 public:
  Keyring() = default;
  explicit Keyring(std::map<std::string, PublicKey, std::less<>> keys)
      : keys_(std::move(keys)) {}

  // The key of a member, or nullptr when `org_id` is not a member. The
  // pointer lives as long as the Keyring.
  const PublicKey* Find(absl::string_view org_id) const {
    auto it = keys_.find(org_id);
    return it == keys_.end() ? nullptr : &it->second;
  }
  bool IsMember(absl::string_view org_id) const { return Find(org_id) != nullptr; }
  std::vector<std::string> Members() const {
    std::vector<std::string> out;
    for (const auto& [org, key] : keys_) out.push_back(org);
    return out;
  }

 private:
  std::map<std::string, PublicKey, std::less<>> keys_;
};

}  // namespace minga

#endif  // MINGA_NODE_CORE_KEYRING_H_
