#include "node/search/build_ahead.h"

#include <utility>

#include "node/core/threads.h"

namespace minga::search {

BuildAhead::BuildAhead(Catalog* catalog) : catalog_(catalog) {
  thread_ = std::thread([this] {
    NameThisThread("minga-index-bld");
    LowerThisThreadsPriority();
    Loop();
  });
}

BuildAhead::~BuildAhead() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void BuildAhead::Loop() {
  while (true) {
    std::vector<FeedChange> changes;
    std::vector<std::vector<absl::StatusOr<PreparedChange>>> spent;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || todo_.has_value() || !spent_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (stopping_) return;
      spent.swap(spent_);
      if (!todo_.has_value()) continue;  // `spent` is freed here
      changes = std::move(*todo_);
      todo_.reset();
    }
    std::vector<absl::StatusOr<PreparedChange>> built;
    built.reserve(changes.size());
    for (const FeedChange& c : changes) {
      try {
        built.push_back(PrepareChange(catalog_, c, &stemmers_, &common_));
      } catch (const Xapian::Error& e) {
        built.push_back(FromXapian(e, "building a document"));
      }
    }
    {
      absl::MutexLock lock(&mu_);
      done_ = std::move(built);
    }
    // `spent` is freed here, once the writer has the stretch it waits for.
  }
}

void BuildAhead::Start(std::vector<FeedChange> changes, const CommonWords& common) {
  DropUnfinished();
  const Vintage mine = common_.vintage();
  const Vintage theirs = common.vintage();
  if (!common_current_ || mine.words != theirs.words || mine.pairs != theirs.pairs) {
    common_.CopyListsFrom(common);
    common_current_ = true;
  }
  absl::MutexLock lock(&mu_);
  todo_ = std::move(changes);
  started_ = true;
}

std::vector<absl::StatusOr<PreparedChange>> BuildAhead::Finish(CommonWords* common) {
  if (!started_) return {};
  std::vector<absl::StatusOr<PreparedChange>> out;
  {
    absl::MutexLock lock(&mu_);
    auto finished = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done_.has_value(); };
    mu_.Await(absl::Condition(&finished));
    out = std::move(*done_);
    done_.reset();
  }
  started_ = false;
  common->TakeCountsFrom(&common_);
  return out;
}

std::vector<absl::StatusOr<PreparedChange>> BuildAhead::HandOver(std::vector<FeedChange> next,
                                                                 CommonWords* common) {
  std::vector<absl::StatusOr<PreparedChange>> built = Finish(common);
  if (!next.empty()) Start(std::move(next), *common);
  return built;
}

void BuildAhead::Forget() {
  DropUnfinished();
  common_current_ = false;
}

void BuildAhead::Recycle(std::vector<absl::StatusOr<PreparedChange>> spent) {
  if (spent.empty()) return;
  absl::MutexLock lock(&mu_);
  spent_.push_back(std::move(spent));
}

void BuildAhead::DropUnfinished() {
  CommonWords dropped;
  Finish(&dropped);
}

}  // namespace minga::search
