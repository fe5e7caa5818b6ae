// A read-your-writes transaction over one WriteBatch: reads see the changes
// made earlier in the same transaction, and Commit writes them all at once.
// Used under the catalog's write lock, so no other writer interleaves.
//
// Thread safety: one thread at a time.
#ifndef MINGA_NODE_CATALOG_TXN_H_
#define MINGA_NODE_CATALOG_TXN_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "node/store/kv.h"

namespace minga {

class Txn {
 public:
  explicit Txn(KvStore* kv) : kv_(kv) {}  // kv: borrowed

  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key);
  void Put(Cf cf, absl::string_view key, absl::string_view value);
  void Delete(Cf cf, absl::string_view key);

  // Whether any key with `prefix` exists, counting this transaction's puts
  // and deletes.
  absl::StatusOr<bool> AnyWithPrefix(Cf cf, absl::string_view prefix);

  // Calls `fn` with each key of `cf` starting with `prefix` that this
  // transaction writes, and the value it leaves (nullopt: deleted).
  void ForEachWrite(Cf cf, absl::string_view prefix,
                    const std::function<void(absl::string_view key,
                                             const std::optional<std::string>& value)>& fn) const;

  bool empty() const { return batch_.empty(); }
  size_t ApproximateBytes() const { return batch_.ApproximateBytes(); }
  absl::Status Commit(const WriteOptions& options);

 private:
  KvStore* const kv_;
  WriteBatch batch_;
  // Latest value written in this transaction; nullopt for a delete.
  std::map<std::pair<int, std::string>, std::optional<std::string>, std::less<>> overlay_;
};

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_TXN_H_
