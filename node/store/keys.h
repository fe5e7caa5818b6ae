// Key layouts of the column families (values are storage.proto messages
// unless noted):
//
//   materials   <material id>                 -> StoredEntry
//   feed        <lseq: 8 bytes big-endian>     -> material id, then (since
//               schema 4) "\0b" when the entry holds its body, "\0h" when
//               not: FeedValue / ParseFeedValue. Only each material's
//               latest lseq is present: the feed.
//   index       unused since schema 2 (search postings of schema 1)
//   peers       <peer org id>                  -> PeerState
//   chunks      unused since schema 3 (chunk bytes, now in a ChunkStore)
//   chunk_refs  "r" <sha256> <material id> (listed), "w" <material id> "\0"
//               <sha256> (wanted), "c" <sha256> (stored), "u" <sha256>
//               (stored by an upload not yet ended): see catalog/chunk_refs.h
//   meta        "schema_version" -> decimal, "feed_id" -> hex,
//               "last_lseq" -> 8 bytes big-endian, "org_id" -> org id,
//               "membership" -> hex keyring fingerprint,
//               "tally" -> Tally (counts kept for status)
//   audit       <lseq: 8 bytes big-endian>     -> AuditRecord
//   held        "o" <origin>                   -> InterlockState
//               "b" <origin> "\0" <material id> -> HeldBody
//               (the mass-delete interlock: catalog/interlock.h)
//
// Big-endian integers sort numerically as bytes.
#ifndef MINGA_NODE_STORE_KEYS_H_
#define MINGA_NODE_STORE_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace minga {

// 2: the search index left the store (schema 1 kept postings in "index").
// 3: chunk bytes left it too, for the ChunkStore (files).
// 4: the tally (meta "tally") is kept in every commit.
inline constexpr int kSchemaVersion = 4;

inline constexpr absl::string_view kMetaSchemaVersion = "schema_version";
inline constexpr absl::string_view kMetaFeedId = "feed_id";
inline constexpr absl::string_view kMetaLastLseq = "last_lseq";
inline constexpr absl::string_view kMetaOrgId = "org_id";
// Keyring::Fingerprint of the federation the entries were last checked
// against (see Catalog::ReconcileMembership).
inline constexpr absl::string_view kMetaMembership = "membership";
inline constexpr absl::string_view kMetaTally = "tally";

inline std::string EncodeU64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  return out;
}

inline std::optional<uint64_t> DecodeU64(absl::string_view s) {
  if (s.size() != 8) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

// A feed value: the material id and whether the entry holds its body, so
// derived views learn which entries lost theirs without reading them.
inline std::string FeedValue(absl::string_view id, bool has_body) {
  std::string v(id);
  v.push_back('\0');
  v.push_back(has_body ? 'b' : 'h');
  return v;
}
struct FeedEntry {
  std::string id;
  std::optional<bool> has_body;  // unknown in values written before schema 4
};
inline FeedEntry ParseFeedValue(absl::string_view value) {
  const size_t zero = value.find('\0');
  if (zero == absl::string_view::npos || zero + 2 != value.size()) {
    return {std::string(value), std::nullopt};
  }
  return {std::string(value.substr(0, zero)), value[zero + 1] == 'b'};
}

// The smallest key greater than every key starting with `prefix`, or "" if
// there is none (prefix of 0xFF bytes).
inline std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<uint8_t>(end.back()) != 0xFF) {
      end.back() = static_cast<char>(static_cast<uint8_t>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return end;
}

}  // namespace minga

#endif  // MINGA_NODE_STORE_KEYS_H_
