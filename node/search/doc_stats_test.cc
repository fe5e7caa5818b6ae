// What DocStats keeps for score bounds: each block's shortest length, read
// from the index at open and lowered by each commit, and the count of
// commits that last changed it.
#include "node/search/doc_stats.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/util/process.h"

namespace minga::search {
namespace {

class DocStatsTest : public ::testing::Test {
 protected:
  // A document of `length` words.
  Xapian::docid Add(uint32_t length) {
    Xapian::Document doc;
    for (uint32_t i = 0; i < length; ++i) doc.add_term(absl::StrCat("Zw", i));
    return db_->add_document(doc);
  }

  testing::TempDir dir_;  // outlives the database, closed first
  std::unique_ptr<Xapian::WritableDatabase> db_ = std::make_unique<Xapian::WritableDatabase>(
      dir_.path() + "/index", Xapian::DB_CREATE_OR_OVERWRITE);
  DocStats stats_;
};

TEST_F(DocStatsTest, BlocksKeepTheirShortestLengthAndTheCommitThatLastChangedThem) {
  // Three blocks: lengths 5..19 in the first, 40, 9 and 30 in the second,
  // 7 alone in the third; one of the second's removed.
  for (uint32_t i = 0; i < kBlockDocs - 1; ++i) Add(5 + i);  // docids 1..15
  Add(40);                                                   // 16: the second block
  Add(9);
  const Xapian::docid removed = Add(2);
  for (uint32_t i = 0; i < kBlockDocs - 3; ++i) Add(30);
  const Xapian::docid third = Add(7);
  ASSERT_EQ(BlockOf(third), 2u);
  db_->delete_document(removed);
  db_->commit();
  stats_.Rebuild(*db_);
  stats_.Read([&](const DocStats::View& v) {
    ASSERT_EQ(v.block_min_lengths.size(), 3u);
    EXPECT_EQ(v.block_min_lengths[0], 5u);
    EXPECT_EQ(v.block_min_lengths[1], 9u);  // not the removed document's 2
    EXPECT_EQ(v.block_min_lengths[2], 7u);
    EXPECT_EQ(v.commits, 0u);
    for (const uint32_t stamp : v.block_stamps) EXPECT_EQ(stamp, 0u);
  });
  // A commit that shortens a document of the second block and adds one
  // past the third.
  DocStats::Change shorter;
  shorter.did = 20;
  shorter.length = 3;
  DocStats::Change added;
  added.did = 3 * kBlockDocs + 1;
  added.length = 50;
  stats_.Committed(db_->get_revision() + 1, nullptr, {shorter, added});
  stats_.Read([&](const DocStats::View& v) {
    EXPECT_EQ(v.commits, 1u);
    EXPECT_EQ(v.touched, 2u);
    EXPECT_EQ(v.block_min_lengths[1], 3u);
    EXPECT_EQ(v.block_min_lengths[3], 50u);
    ASSERT_GE(v.block_stamps.size(), 4u);
    EXPECT_EQ(v.block_stamps[0], 0u);
    EXPECT_EQ(v.block_stamps[1], 1u);
    EXPECT_EQ(v.block_stamps[2], 0u);
    EXPECT_EQ(v.block_stamps[3], 1u);
  });
  // A removal lowers nothing but stamps its block.
  DocStats::Change gone;
  gone.did = 1;
  gone.removed = true;
  stats_.Committed(db_->get_revision() + 2, nullptr, {gone});
  stats_.Read([&](const DocStats::View& v) {
    EXPECT_EQ(v.commits, 2u);
    ASSERT_FALSE(v.block_stamps.empty());
    EXPECT_EQ(v.block_stamps[0], 2u);
    EXPECT_EQ(v.block_min_lengths[0], 5u);
  });
  // Reading the index again starts the counts over.
  stats_.Rebuild(*db_);
  stats_.Read([&](const DocStats::View& v) {
    EXPECT_EQ(v.commits, 0u);
    EXPECT_TRUE(v.block_stamps.empty());
    EXPECT_EQ(v.block_min_lengths[1], 9u);
  });
}

}  // namespace
}  // namespace minga::search
