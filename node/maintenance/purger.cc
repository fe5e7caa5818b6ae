#include "node/maintenance/purger.h"

#include "absl/strings/str_cat.h"
#include "node/core/log.h"
#include "node/core/status_macros.h"
#include "node/core/threads.h"
#include "node/store/keys.h"

namespace minga {

Purger::Purger(KvStore* kv, Catalog* catalog, search::SearchView* search, PurgerOptions options)
    : kv_(kv), catalog_(catalog), search_(search), options_(options) {
  listener_ = catalog_->AddListener([this](const CatalogChange& c) {
    if (!c.lost_body) return;
    absl::MutexLock lock(&mu_);
    pending_.insert(c.id);
    index_pending_ = true;
    if (due_ == absl::InfiniteFuture()) due_ = absl::Now() + options_.delay;
  });
  thread_ = std::thread([this] {
    NameThisThread("minga-purge");
    LowerThisThreadsPriority();
    Run();
  });
}

Purger::~Purger() {
  catalog_->RemoveListener(listener_);
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void Purger::Run() {
  absl::Time next_expiry = absl::Now();
  while (true) {
    bool due = false;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || absl::Now() >= due_;
      };
      mu_.AwaitWithDeadline(absl::Condition(&ready),
                            std::min(due_, absl::Now() + absl::Seconds(1)));
      if (stopping_) return;
      due = absl::Now() >= due_;
    }
    if (absl::Now() >= next_expiry) {
      // Holds of the mass-delete interlock whose grace ended: their bodies
      // are released (and purged from the files by the next round).
      next_expiry = absl::Now() + options_.expiry_interval;
      absl::StatusOr<uint64_t> expired = catalog_->interlock().ExpireDue();
      if (!expired.ok())
        LogError("purger", absl::StrCat("interlock: ", expired.status().message()));
    }
    if (!due) continue;
    absl::Status s = Purge(/*index_now=*/false);
    if (!s.ok()) LogError("purger", absl::StrCat("purge: ", s.message()));
  }
}

absl::Status Purger::PurgeNow() { return Purge(/*index_now=*/true); }

absl::Status Purger::Purge(bool index_now) {
  absl::MutexLock one(&purge_mu_);
  std::set<std::string> ids;
  bool index = false;
  {
    absl::MutexLock lock(&mu_);
    ids.swap(pending_);
    due_ = absl::InfiniteFuture();
    index = index_pending_ && (index_now || absl::Now() - last_index_ >= options_.index_interval);
    if (index) index_pending_ = false;
    if (index_pending_) due_ = last_index_ + options_.index_interval;  // come back for it
  }
  // The log holding the old bodies goes with the flush; then their keys'
  // old values leave the SST files. Many materials at once: the whole
  // family, rather than a compaction per key.
  RETURN_IF_ERROR(kv_->Flush());
  // Bodies the interlock held and released leave with them (a small family).
  RETURN_IF_ERROR(kv_->CompactRange(Cf::kHeld, "", std::string(4, '\xff')));
  if (ids.size() > 64) {
    RETURN_IF_ERROR(kv_->CompactRange(Cf::kMaterials, "", std::string(4, '\xff')));
  } else {
    for (const std::string& id : ids) {
      RETURN_IF_ERROR(kv_->CompactRange(Cf::kMaterials, id, id + std::string(1, '\0')));
    }
  }
  if (index && search_ != nullptr) {
    absl::Status s = search_->Compact();
    absl::MutexLock lock(&mu_);
    if (s.ok()) {
      last_index_ = absl::Now();
    } else {
      index_pending_ = true;  // tried again later
      if (due_ == absl::InfiniteFuture()) due_ = absl::Now() + options_.delay;
      return s;
    }
  }
  if (!ids.empty())
    LogInfo("purger", absl::StrCat("purged what ", ids.size(), " retracted materials left on disk"),
            {{"materials", ids.size()}});
  return absl::OkStatus();
}

}  // namespace minga
