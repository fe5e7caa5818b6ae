// Exponential back-off with jitter for a misbehaving or unreachable peer.
#ifndef MINGA_NODE_SYNC_BACKOFF_H_
#define MINGA_NODE_SYNC_BACKOFF_H_

#include <algorithm>
#include <cmath>

#include "absl/time/time.h"

namespace minga {

// The delay before retry number `failures` (1 = first retry): initial *
// 2^(failures-1), capped at `max`, then scaled into [d/2, d] by `unit`, a
// random number in [0, 1) the caller supplies (so tests are deterministic).
// The jitter spreads the retries of many nodes after a shared outage.
inline absl::Duration BackoffDelay(int failures, absl::Duration initial, absl::Duration max,
                                   double unit) {
  if (failures <= 0) return absl::ZeroDuration();
  const double exp = std::ldexp(1.0, std::min(failures - 1, 30));
  const absl::Duration full = std::min(initial * exp, max);
  return full * (0.5 + 0.5 * std::clamp(unit, 0.0, 1.0));
}

// The delay after `previous` when the wait doubles on each failure: at
// least `initial`, at most `max`. For waits kept per item (a peer's chunk
// calls, a material's missing chunks) where a failure count is not kept.
inline absl::Duration NextBackoff(absl::Duration previous, absl::Duration initial,
                                  absl::Duration max) {
  return std::min(max, std::max(initial, previous * 2));
}

}  // namespace minga

#endif  // MINGA_NODE_SYNC_BACKOFF_H_
