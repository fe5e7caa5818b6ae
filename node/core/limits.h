// Limits every entry point enforces (client, peer, config, import). They keep
// a malformed or hostile input from costing unbounded memory or time; each
// is documented next to its field in proto/minga/v1/*.proto.
#ifndef MINGA_NODE_CORE_LIMITS_H_
#define MINGA_NODE_CORE_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace minga {

inline constexpr size_t kMaxTitleBytes = 2000;  // 500 characters of UTF-8
inline constexpr size_t kMaxTitleChars = 500;
inline constexpr size_t kMaxSummaryChars = 8000;
inline constexpr size_t kMaxShortTextChars = 200;  // publisher, license
inline constexpr size_t kMaxSourceChars = 2000;
inline constexpr size_t kMaxUrlBytes = 2048;
inline constexpr size_t kMaxListItems = 32;  // sectors, topics, ...
inline constexpr size_t kMaxCountries = 64;
inline constexpr size_t kMaxOtherTitles = 16;
inline constexpr size_t kMaxTopicBytes = 64;
inline constexpr size_t kMaxLocalIdBytes = 96;
inline constexpr size_t kMaxMaterialIdBytes = 32 + 1 + kMaxLocalIdBytes;
inline constexpr size_t kMaxAudienceMembers = 256;

// Files.
inline constexpr size_t kMaxFilesPerMaterial = 64;
inline constexpr size_t kMaxFileNameBytes = 255;
inline constexpr size_t kMaxMediaTypeBytes = 127;
inline constexpr uint64_t kChunkSize = 1 << 20;               // 1 MiB
inline constexpr uint64_t kMaxFileSize = uint64_t{16} << 30;  // 16 GiB
// Chunk hashes of all files of a material together; keeps a body under
// kMaxBodyBytes.
inline constexpr size_t kMaxChunksPerMaterial = 16384;

// A serialized Material (body) and a serialized RevisionHeader.
inline constexpr size_t kMaxBodyBytes = 1 << 20;
inline constexpr size_t kMaxHeaderBytes = 16 << 10;

// Pull batches.
inline constexpr uint32_t kMaxBatchRevisions = 4096;
inline constexpr uint32_t kMaxBatchBytes = 8 << 20;
inline constexpr uint32_t kDefaultBatchRevisions = 256;
inline constexpr uint32_t kDefaultBatchBytes = 1 << 20;

// gRPC messages: a batch plus framing.
inline constexpr int kMaxMessageBytes = 16 << 20;

// Client requests.
inline constexpr size_t kMaxPutManyItems = 500;
// A config or federation file, key, certificate or token: read whole, and
// refused beyond this (a mistaken path to a large file fails at once).
inline constexpr size_t kMaxSmallFileBytes = 1 << 20;
inline constexpr int kMaxPageSize = 1000;
inline constexpr int kDefaultPageSize = 100;
// A page of List or Search ends early, with a token for the rest, rather
// than grow past this: a few large materials must not push a response past
// kMaxMessageBytes.
inline constexpr size_t kMaxPageBytes = 4 << 20;

}  // namespace minga

#endif  // MINGA_NODE_CORE_LIMITS_H_
