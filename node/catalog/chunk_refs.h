// Which materials list which file chunks, which chunks are stored, and which
// are still wanted. Kept in the transaction that stores each revision, so a
// retraction or a narrowed audience deletes the chunks no held material
// lists any more in the same write.
//
// Keys of the "chunk_refs" column family (sha = 32 raw bytes):
//   "r" <sha> <material id>        a held material lists the chunk
//   "w" <material id> "\0" <sha>   ... and the chunk is not stored here yet
//   "c" <sha>                      the chunk is stored; value: size (8 bytes)
//   "u" <sha>                      an upload stored the chunk and has not
//                                  ended yet: if the node stops before it
//                                  does, the chunk is dropped at the next
//                                  open unless a material lists it
// The bytes themselves are in the node's ChunkStore (store/chunk_store.h).
#ifndef MINGA_NODE_CATALOG_CHUNK_REFS_H_
#define MINGA_NODE_CATALOG_CHUNK_REFS_H_

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "minga/v1/material.pb.h"
#include "node/catalog/txn.h"

namespace minga {

// The first byte of each kind of key above, for scans of one kind.
inline constexpr absl::string_view kChunkRefPrefix = "r";
inline constexpr absl::string_view kWantPrefix = "w";
inline constexpr absl::string_view kPresentPrefix = "c";
inline constexpr absl::string_view kUploadPrefix = "u";

std::string ChunkRefKey(absl::string_view sha, absl::string_view id);
std::string ChunkRefPrefix(absl::string_view sha);
std::string WantKey(absl::string_view id, absl::string_view sha);
std::string WantPrefix(absl::string_view id);  // "w" id "\0"
std::string PresentKey(absl::string_view sha);
std::string UploadKey(absl::string_view sha);

// The first 16 hex digits of a chunk hash, for messages.
std::string ShortHex(absl::string_view sha);

// Every chunk hash the files of `m` list (none for null).
std::set<std::string> ChunksOf(const v1::Material* m);

// The chunks `id` references change from `before` to `after`. Adds and
// removes references, marks added chunks not stored here as wanted when
// `want` (a body is held; a header-only entry that retains chunks wants
// none), and forgets chunks no material lists any more unless `pinned`
// says an upload in progress holds them: their "c" key goes in `txn` and
// their hash is added to `dropped`, whose bytes the caller removes once
// the transaction is committed.
absl::Status UpdateChunkRefs(Txn* txn, absl::string_view id, const std::set<std::string>& before,
                             const std::set<std::string>& after, bool want,
                             const std::function<bool(const std::string&)>& pinned,
                             std::vector<std::string>* dropped);

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_CHUNK_REFS_H_
