#include "node/sync/pull_session.h"

namespace minga {

PullSession::PullSession(PullQuery query, PullSessionOptions options, Clock* clock)
    : query_(std::move(query)),
      options_(options),
      clock_(clock),
      started_micros_(clock->NowMicros()),
      last_sent_micros_(started_micros_) {}

bool PullSession::ShouldSend(const v1::PullBatch& batch) const {
  const bool moved = batch.to_lseq() != query_.after_lseq || batch.feed_id() != query_.feed_id;
  const bool heartbeat_due =
      clock_->NowMicros() - last_sent_micros_ >= absl::ToInt64Microseconds(options_.heartbeat);
  return !sent_any_ || moved || batch.revisions_size() > 0 || heartbeat_due;
}

void PullSession::Sent(const v1::PullBatch& batch) {
  sent_any_ = true;
  last_sent_micros_ = clock_->NowMicros();
  Skipped(batch);
}

void PullSession::Skipped(const v1::PullBatch& batch) {
  query_.feed_id = batch.feed_id();
  query_.after_lseq = batch.to_lseq();
}

bool PullSession::Expired() const {
  return clock_->NowMicros() - started_micros_ >= absl::ToInt64Microseconds(options_.max_age);
}

PullSession::Next PullSession::After(uint64_t head) const {
  if (Expired()) return Next::kEnd;
  if (query_.after_lseq < head) return Next::kRead;  // more to send
  return options_.follow ? Next::kWait : Next::kEnd;
}

PullSession::Next PullSession::OnWake(uint64_t head) const {
  if (Expired()) return Next::kEnd;
  if (query_.after_lseq < head) return Next::kRead;
  if (clock_->NowMicros() >= NextWakeMicros()) return Next::kRead;  // a heartbeat
  return Next::kWait;
}

int64_t PullSession::NextWakeMicros() const {
  return std::min(last_sent_micros_ + absl::ToInt64Microseconds(options_.heartbeat),
                  started_micros_ + absl::ToInt64Microseconds(options_.max_age));
}

}  // namespace minga
