#include "node/core/keyring.h"

#include "absl/strings/str_cat.h"

namespace minga {

Keyring::Keyring(std::map<std::string, PublicKey, std::less<>> keys) {
  for (auto& [org, key] : keys) members_.emplace(org, MemberKeys{std::move(key), {}});
}

const PublicKey* Keyring::Find(absl::string_view org_id) const {
  auto it = members_.find(org_id);
  return it == members_.end() ? nullptr : &it->second.current;
}

std::vector<const PublicKey*> Keyring::KeysFor(absl::string_view org_id, uint64_t version) const {
  std::vector<const PublicKey*> out;
  auto it = members_.find(org_id);
  if (it == members_.end()) return out;
  out.push_back(&it->second.current);
  for (const RetiredKey& r : it->second.retired) {
    if (version < r.retired_from_version) out.push_back(&r.key);
  }
  return out;
}

const RetiredKey* Keyring::RetiredBelow(absl::string_view org_id, uint64_t version) const {
  auto it = members_.find(org_id);
  if (it == members_.end()) return nullptr;
  for (const RetiredKey& r : it->second.retired) {
    if (version >= r.retired_from_version) return &r;
  }
  return nullptr;
}

std::string Keyring::Fingerprint() const {
  Sha256Hasher h;
  for (const auto& [org, keys] : members_) {
    h.Update(absl::StrCat(org, "=", keys.current.ToBase64(), ";"));
    for (const RetiredKey& r : keys.retired) {
      h.Update(absl::StrCat("retired ", r.key.ToBase64(), " from ", r.retired_from_version, ";"));
    }
  }
  return DigestToHex(h.Finish());
}

}  // namespace minga
