// Subscriptions: which bodies a puller wants from a peer. Pure, thread-safe.
#ifndef MINGA_NODE_CORE_SUBSCRIPTION_H_
#define MINGA_NODE_CORE_SUBSCRIPTION_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "minga/v1/config.pb.h"
#include "minga/v1/material.pb.h"

namespace minga {

// True when `material` (of `origin`) matches every non-empty list of the
// subscription (see config.proto).
bool SubscriptionMatches(const v1::Subscription& subscription, absl::string_view origin,
                         const v1::Material& material);

// Whether SubscriptionMatches needs the material's fields (lists other than
// origins are set); when not, an empty material stands in for it.
bool SubscriptionLooksInsideBodies(const v1::Subscription& subscription);

// Checks list sizes and values; the error names "<field>.<list>[i]".
absl::Status ValidateSubscription(const v1::Subscription& subscription, absl::string_view field);

// A short hex fingerprint of what the subscription selects (the body
// filters, not the file policy): a change means a back-fill is due.
std::string SubscriptionFingerprint(const v1::Subscription& subscription);

}  // namespace minga

#endif  // MINGA_NODE_CORE_SUBSCRIPTION_H_
