#include "node/store/kv.h"

namespace minga {

absl::string_view CfName(Cf cf) {
  switch (cf) {
    case Cf::kMaterials:
      return "materials";
    case Cf::kFeed:
      return "feed";
    case Cf::kLegacyIndex:
      return "index";
    case Cf::kPeers:
      return "peers";
    case Cf::kLegacyChunks:
      return "chunks";
    case Cf::kChunkRefs:
      return "chunk_refs";
    case Cf::kMeta:
      return "meta";
    case Cf::kAudit:
      return "audit";
    case Cf::kHeld:
      return "held";
  }
  return "unknown";
}

void WriteBatch::Put(Cf cf, absl::string_view key, absl::string_view value) {
  ops_.push_back({Op::Type::kPut, cf, std::string(key), std::string(value)});
  bytes_ += key.size() + value.size() + 16;
}

void WriteBatch::Delete(Cf cf, absl::string_view key) {
  ops_.push_back({Op::Type::kDelete, cf, std::string(key), std::string()});
  bytes_ += key.size() + 16;
}

}  // namespace minga
