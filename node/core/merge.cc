#include "node/core/merge.h"

namespace minga {

MergeAction Merge(const std::optional<MergeState>& held, const MergeState& incoming) {
  if (!held.has_value() || incoming.rank > held->rank) {
    return MergeAction::kReplace;
  }
  if (incoming.rank == held->rank && incoming.has_body && !held->has_body) {
    return MergeAction::kAddBody;
  }
  return MergeAction::kIgnore;
}

MergeState Join(const std::optional<MergeState>& held, const MergeState& incoming) {
  switch (Merge(held, incoming)) {
    case MergeAction::kReplace:
      return incoming;
    case MergeAction::kAddBody:
      return MergeState{held->rank, true};
    case MergeAction::kIgnore:
      break;
  }
  return *held;
}

}  // namespace minga
