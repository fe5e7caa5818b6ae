#include "node/core/merge.h"

#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace minga {
namespace {

MergeState S(uint64_t version, uint8_t hash, bool body) {
  MergeState s;
  s.rank.version = version;
  s.rank.header_hash.fill(hash);
  s.has_body = body;
  return s;
}

bool Same(const MergeState& a, const MergeState& b) {
  return a.rank == b.rank && a.has_body == b.has_body;
}

TEST(MergeTest, Table) {
  struct Row {
    std::optional<MergeState> held;
    MergeState incoming;
    MergeAction want;
  } rows[] = {
      {std::nullopt, S(1, 1, false), MergeAction::kReplace},
      {std::nullopt, S(1, 1, true), MergeAction::kReplace},
      {S(1, 1, true), S(2, 1, false), MergeAction::kReplace},  // newer wins
      {S(2, 1, true), S(1, 1, true), MergeAction::kIgnore},    // no replay
      {S(2, 1, true), S(2, 1, true), MergeAction::kIgnore},    // duplicate
      {S(2, 1, false), S(2, 1, true), MergeAction::kAddBody},  // body fills in
      {S(2, 1, true), S(2, 1, false), MergeAction::kIgnore},   // keeps body
      {S(2, 1, true), S(2, 9, false), MergeAction::kReplace},  // tie: hash
      {S(2, 9, false), S(2, 1, true), MergeAction::kIgnore},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(Merge(r.held, r.incoming), r.want);
  }
}

// The join does not depend on order or duplication.
TEST(MergeTest, JoinIsOrderAndDuplicateInsensitive) {
  std::mt19937 rng(7);
  for (int run = 0; run < 2000; ++run) {
    std::vector<MergeState> updates;
    const int n = 1 + rng() % 8;
    for (int i = 0; i < n; ++i) {
      updates.push_back(S(1 + rng() % 4, rng() % 3, rng() % 2));
    }
    auto fold = [](const std::vector<MergeState>& seq) {
      std::optional<MergeState> state;
      for (const MergeState& u : seq) state = Join(state, u);
      return *state;
    };
    const MergeState expected = fold(updates);
    std::vector<MergeState> shuffled = updates;
    for (int i = 0; i < 3; ++i) shuffled.push_back(updates[rng() % updates.size()]);
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    EXPECT_TRUE(Same(fold(shuffled), expected)) << "run " << run;
  }
}

}  // namespace
}  // namespace minga
