// The defaults of a node's settings, each named once: ApplyDefaults
// (node/config) fills a config with them, the options of the sync engine and
// of the services start from them, and config.proto's comments state them.
// Constants only; thread-safe.
#ifndef MINGA_NODE_CORE_DEFAULTS_H_
#define MINGA_NODE_CORE_DEFAULTS_H_

#include <cstdint>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace minga::defaults {

// sync { ... }: pulling from peers. (Batch sizes: kDefaultBatch* in limits.h.)
inline constexpr absl::Duration kBackoffInitial = absl::Milliseconds(500);
inline constexpr absl::Duration kBackoffMax = absl::Seconds(60);
inline constexpr absl::Duration kHeartbeat = absl::Seconds(15);
inline constexpr absl::Duration kPullDeadline = absl::Seconds(300);
inline constexpr absl::string_view kCompression = "zstd";

// serve { ... }: serving pulls and chunks to peers.
inline constexpr uint32_t kMaxPullsPerPeer = 2;
inline constexpr uint32_t kMaxPulls = 32;
inline constexpr uint32_t kMaxChunkCallsPerPeer = 8;
inline constexpr uint32_t kMaxChunkCalls = 32;
inline constexpr absl::Duration kMaxPullAge = absl::Seconds(240);
inline constexpr uint32_t kCompressionLevel = 6;

// store { ... }
inline constexpr uint32_t kDiskReserveMb = 128;

// interlock { ... }
inline constexpr uint32_t kInterlockSharePercent = 20;
inline constexpr uint32_t kInterlockMinMaterials = 100;
inline constexpr uint32_t kInterlockWindowMinutes = 60;
inline constexpr uint32_t kInterlockGraceHours = 24 * 7;

}  // namespace minga::defaults

#endif  // MINGA_NODE_CORE_DEFAULTS_H_
