// The serving side of a pull under a fake clock: what is sent, heartbeats,
// and the end of a following pull after its age.
#include "node/sync/pull_session.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace minga {
namespace {

v1::PullBatch Batch(const std::string& feed, uint64_t from, uint64_t to, int revisions) {
  v1::PullBatch b;
  b.set_feed_id(feed);
  b.set_from_lseq(from);
  b.set_to_lseq(to);
  for (int i = 0; i < revisions; ++i) b.add_revisions();
  b.set_revision_count(revisions);
  return b;
}

PullSessionOptions Following() {
  PullSessionOptions o;
  o.follow = true;
  o.heartbeat = absl::Seconds(15);
  o.max_age = absl::Seconds(240);
  return o;
}

TEST(PullSessionTest, SendsTheFirstBatchAndWhatMovesThenWaits) {
  FakeClock clock;
  PullQuery q;
  q.feed_id = "f";
  q.after_lseq = 10;
  PullSession s(q, Following(), &clock);
  // The first batch always goes, even empty: it tells the feed and head.
  v1::PullBatch first = Batch("f", 10, 10, 0);
  EXPECT_TRUE(s.ShouldSend(first));
  s.Sent(first);
  EXPECT_EQ(s.After(10), PullSession::Next::kWait);
  EXPECT_EQ(s.After(12), PullSession::Next::kRead);
  // News moves the checkpoint: sent.
  v1::PullBatch news = Batch("f", 10, 12, 2);
  EXPECT_TRUE(s.ShouldSend(news));
  s.Sent(news);
  EXPECT_EQ(s.query().after_lseq, 12u);
  // Nothing new before the heartbeat: not sent, keep waiting.
  v1::PullBatch idle = Batch("f", 12, 12, 0);
  EXPECT_FALSE(s.ShouldSend(idle));
  s.Skipped(idle);
  EXPECT_EQ(s.OnWake(12), PullSession::Next::kWait);
  // A commit wakes it.
  EXPECT_EQ(s.OnWake(13), PullSession::Next::kRead);
}

TEST(PullSessionTest, HeartbeatsComeAfterSilenceAndTheStreamEndsWithAge) {
  FakeClock clock;
  PullQuery q;
  q.feed_id = "f";
  PullSession s(q, Following(), &clock);
  s.Sent(Batch("f", 0, 0, 0));
  EXPECT_EQ(s.NextWakeMicros(), clock.NowMicros() + 15'000'000);
  clock.Advance(14'000'000);
  EXPECT_EQ(s.OnWake(0), PullSession::Next::kWait);
  clock.Advance(1'000'000);
  EXPECT_EQ(s.OnWake(0), PullSession::Next::kRead);  // read, to send a heartbeat
  v1::PullBatch heartbeat = Batch("f", 0, 0, 0);
  EXPECT_TRUE(s.ShouldSend(heartbeat));
  s.Sent(heartbeat);
  clock.Advance(225'000'000);  // 240 s since the start
  EXPECT_EQ(s.OnWake(0), PullSession::Next::kEnd);
  EXPECT_EQ(s.After(5), PullSession::Next::kEnd);  // even with a backlog
}

TEST(PullSessionTest, WithoutFollowTheStreamEndsWhenCaughtUp) {
  FakeClock clock;
  PullSessionOptions o;
  o.follow = false;
  PullSession s(PullQuery(), o, &clock);
  s.Sent(Batch("f", 0, 3, 3));
  EXPECT_EQ(s.After(5), PullSession::Next::kRead);
  s.Sent(Batch("f", 3, 5, 2));
  EXPECT_EQ(s.After(5), PullSession::Next::kEnd);
}

TEST(PullSessionTest, AnotherFeedIsNews) {
  FakeClock clock;
  PullQuery q;
  q.feed_id = "old";
  q.after_lseq = 7;
  PullSession s(q, Following(), &clock);
  s.Sent(Batch("old", 7, 7, 0));
  // The store was rebuilt: a batch from 0 of a new feed goes out at once.
  EXPECT_TRUE(s.ShouldSend(Batch("new", 0, 0, 0)));
}

}  // namespace
}  // namespace minga
