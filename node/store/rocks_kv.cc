#include "node/store/rocks_kv.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "node/core/log.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/listener.h"
#include "rocksdb/sst_file_manager.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/options_util.h"
#include "rocksdb/write_buffer_manager.h"

namespace minga {
namespace {

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg = absl::StrCat("store: ", what, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNoSpace()) return DiskFullError("store: ", absl::StrCat(what, ": ", s.ToString()));
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return absl::FailedPreconditionError(
        absl::StrCat(msg, " (is another minga-node using this data directory?)"));
  }
  if (s.IsIOError() || s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) {
    return absl::UnavailableError(msg);
  }
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  return absl::InternalError(msg);
}

// The first corruption the store met, for `minga status`. Thread-safe.
class DamageRecord {
 public:
  absl::Status Check(const rocksdb::Status& s, absl::string_view what) {
    absl::Status status = FromRocks(s, what);
    if (s.IsCorruption()) {
      absl::MutexLock lock(&mu_);
      if (first_.empty()) {
        first_ = std::string(status.message());
        LogError("store", absl::StrCat("the store is damaged: ", first_,
                                       " (see docs/reliability.md, 'A damaged store')"));
      }
    }
    return status;
  }
  std::string first() const {
    absl::MutexLock lock(&mu_);
    return first_;
  }

 private:
  mutable absl::Mutex mu_;
  std::string first_ ABSL_GUARDED_BY(mu_);
};

class RocksIterator : public KvIterator {
 public:
  RocksIterator(rocksdb::Iterator* it, DamageRecord* damage) : it_(it), damage_(damage) {}
  void Seek(absl::string_view key) override { it_->Seek(rocksdb::Slice(key.data(), key.size())); }
  bool Valid() const override { return it_->Valid(); }
  void Next() override { it_->Next(); }
  absl::string_view key() const override {
    const rocksdb::Slice k = it_->key();
    return absl::string_view(k.data(), k.size());
  }
  absl::string_view value() const override {
    const rocksdb::Slice v = it_->value();
    return absl::string_view(v.data(), v.size());
  }
  absl::Status status() const override { return damage_->Check(it_->status(), "iterate"); }

 private:
  std::unique_ptr<rocksdb::Iterator> it_;
  DamageRecord* const damage_;
};

// What the store will write by itself, without another write checked
// against the reserve: its memtables (a flush writes them out again as
// table files while their log is still on disk) and the bytes RocksDB
// counts as pending compaction.
uint64_t StoreOwes(rocksdb::DB* db) {
  uint64_t memtables = 0, compactions = 0;
  db->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &memtables);
  db->GetAggregatedIntProperty(rocksdb::DB::Properties::kEstimatePendingCompactionBytes,
                               &compactions);
  return memtables + compactions;
}

// Keeps the reserve's count of what the store owes current as flushes and
// compactions pay it off (or, a flush adding a table to level 0, add to
// the compactions pending). Called on RocksDB's background threads.
class OwedBytesListener : public rocksdb::EventListener {
 public:
  explicit OwedBytesListener(DiskReserve* reserve) : reserve_(reserve) {}
  void OnFlushCompleted(rocksdb::DB* db, const rocksdb::FlushJobInfo&) override {
    reserve_->SetStoreOwes(StoreOwes(db));
  }
  void OnCompactionCompleted(rocksdb::DB* db, const rocksdb::CompactionJobInfo&) override {
    reserve_->SetStoreOwes(StoreOwes(db));
  }

 private:
  DiskReserve* const reserve_;
};

class RocksKv : public KvStore {
 public:
  RocksKv(std::unique_ptr<rocksdb::Env> env, std::unique_ptr<rocksdb::DB> db,
          std::vector<rocksdb::ColumnFamilyHandle*> handles, DiskReserve* reserve)
      : env_(std::move(env)), db_(std::move(db)), handles_(std::move(handles)), reserve_(reserve) {
    if (reserve_ != nullptr) reserve_->SetStoreOwes(StoreOwes(db_.get()));
  }

  ~RocksKv() override {
    // A clean stop flushes the memtables, so the next start replays no
    // write-ahead log (after a large import, that replay took seconds).
    rocksdb::FlushOptions flush;
    flush.wait = true;
    db_->Flush(flush, handles_).PermitUncheckedError();
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
    }
    db_->Close().PermitUncheckedError();
    if (reserve_ != nullptr) reserve_->SetStoreOwes(0);
  }

  absl::StatusOr<std::optional<std::string>> Get(Cf cf, absl::string_view key) override {
    std::string value;
    rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handle(cf),
                                 rocksdb::Slice(key.data(), key.size()), &value);
    if (s.IsNotFound()) return std::nullopt;
    if (!s.ok()) return damage_.Check(s, "read");
    return value;
  }

  absl::Status Write(const WriteBatch& batch, const WriteOptions& options) override {
    // Below the reserve only deletions pass: they are small, and they are
    // how a full node frees space (purges, gc).
    size_t put_bytes = 0;
    for (const WriteBatch::Op& op : batch.ops()) {
      if (op.type == WriteBatch::Op::Type::kPut) put_bytes += op.key.size() + op.value.size() + 1;
    }
    if (reserve_ != nullptr && put_bytes > 0) {
      reserve_->SetStoreOwes(StoreOwes(db_.get()));
      if (absl::Status room = reserve_->Check(put_bytes, "store: "); !room.ok()) return room;
    }
    rocksdb::WriteBatch wb;
    for (const WriteBatch::Op& op : batch.ops()) {
      rocksdb::Status s = op.type == WriteBatch::Op::Type::kPut
                              ? wb.Put(handle(op.cf), op.key, op.value)
                              : wb.Delete(handle(op.cf), op.key);
      if (!s.ok()) return damage_.Check(s, "batch");
    }
    rocksdb::WriteOptions wo;
    wo.sync = options.sync;
    return damage_.Check(db_->Write(wo, &wb), "write");
  }

  absl::Status SyncLog() override {
    // An empty synced write, the way RocksDB's db.h names for syncing what
    // was written without sync: the log is synced as for any synced write
    // (power_cut_test loses an import when it is not).
    rocksdb::WriteBatch empty;
    rocksdb::WriteOptions wo;
    wo.sync = true;
    return damage_.Check(db_->Write(wo, &empty), "sync");
  }

  std::unique_ptr<KvIterator> NewIterator(Cf cf) override {
    return std::make_unique<RocksIterator>(db_->NewIterator(rocksdb::ReadOptions(), handle(cf)),
                                           &damage_);
  }

  uint64_t ApproximateDiskBytes() override {
    uint64_t total = 0;
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      uint64_t sst = 0, blob = 0;
      db_->GetIntProperty(h, rocksdb::DB::Properties::kTotalSstFilesSize, &sst);
      db_->GetIntProperty(h, rocksdb::DB::Properties::kTotalBlobFileSize, &blob);
      total += sst + blob;
    }
    uint64_t memtables = 0;
    db_->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables, &memtables);
    return total + memtables;
  }

  std::vector<std::pair<std::string, uint64_t>> EngineStats() override {
    // Whole-store figures, then those summed over the column families.
    static constexpr std::pair<const char*, const char*> kWhole[] = {
        {"rocksdb.is-write-stopped", "write_stopped"},
        {"rocksdb.actual-delayed-write-rate", "delayed_write_rate_bytes_per_second"},
        {"rocksdb.num-running-compactions", "running_compactions"},
        {"rocksdb.num-running-flushes", "running_flushes"},
        {"rocksdb.background-errors", "background_errors"},
    };
    static constexpr std::pair<const char*, const char*> kSummed[] = {
        {"rocksdb.compaction-pending", "compactions_pending"},
        {"rocksdb.estimate-pending-compaction-bytes", "pending_compaction_bytes"},
        {"rocksdb.cur-size-all-mem-tables", "memtable_bytes"},
        {"rocksdb.num-immutable-mem-table", "immutable_memtables"},
        {"rocksdb.live-sst-files-size", "live_sst_bytes"},
    };
    std::vector<std::pair<std::string, uint64_t>> out;
    for (const auto& [property, name] : kWhole) {
      uint64_t v = 0;
      if (db_->GetIntProperty(property, &v)) out.emplace_back(name, v);
    }
    for (const auto& [property, name] : kSummed) {
      uint64_t v = 0;
      if (db_->GetAggregatedIntProperty(property, &v)) out.emplace_back(name, v);
    }
    return out;
  }

  absl::Status Flush() override {
    rocksdb::FlushOptions options;
    options.wait = true;
    return damage_.Check(db_->Flush(options, handles_), "flush");
  }

  absl::Status CompactRange(Cf cf, absl::string_view begin, absl::string_view end) override {
    rocksdb::CompactRangeOptions options;
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    const rocksdb::Slice b(begin.data(), begin.size()), e(end.data(), end.size());
    return damage_.Check(db_->CompactRange(options, handle(cf), &b, &e), "compact");
  }

  absl::Status CompactAll() override {
    for (rocksdb::ColumnFamilyHandle* h : handles_) {
      rocksdb::CompactRangeOptions options;
      options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
      absl::Status s = damage_.Check(db_->CompactRange(options, h, nullptr, nullptr), "compact");
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status VerifyChecksums() override { return damage_.Check(db_->VerifyChecksum(), "verify"); }
  std::string damage() const override { return damage_.first(); }

 private:
  rocksdb::ColumnFamilyHandle* handle(Cf cf) const { return handles_[static_cast<int>(cf)]; }

  std::unique_ptr<rocksdb::Env> env_;  // outlives db_ (declared first)
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  DiskReserve* const reserve_;  // null: no reserve
  DamageRecord damage_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KvStore>> OpenRocksKv(const RocksKvOptions& options) {
  std::unique_ptr<rocksdb::Env> env;
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = true;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  // Memtables of all families together stay under this much memory; past
  // it the largest is flushed. It bounds a pulling node's memory whatever
  // the catalog's size.
  db_options.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.memtable_bytes);
  // A family written rarely (peers, meta) would otherwise keep every log
  // alive until it fills its memtable: past this much log, the families
  // holding the oldest log are flushed and the log is deleted. It also
  // bounds the replay after a crash.
  db_options.max_total_wal_size = options.memtable_bytes;
  db_options.keep_log_file_num = 4;
  db_options.recycle_log_file_num = 2;
  if (options.env != nullptr) {
    db_options.env = options.env;
  } else if (options.in_memory) {
    env.reset(rocksdb::NewMemEnv(rocksdb::Env::Default()));
    db_options.env = env.get();
  } else {
    // With an SstFileManager RocksDB recovers from a full disk by itself:
    // it stops writes, polls for free space, and resumes once there is
    // room.
    db_options.sst_file_manager.reset(rocksdb::NewSstFileManager(rocksdb::Env::Default()));
    // Compactions (the LOW pool) run at the lowest CPU priority, like the
    // search index and the purger: they can wait, while serving a pull or
    // a client cannot. Flushes (the HIGH pool) keep theirs, since writes
    // stall behind them; if compactions fall far behind, RocksDB slows the
    // writes too, which leaves them the cores, and the disk reserve keeps
    // free what they will write. Applies to the process's default
    // environment, so every store opened shares it.
    rocksdb::Env::Default()->LowerThreadPoolCPUPriority(rocksdb::Env::LOW);
  }
  if (options.reserve != nullptr) {
    db_options.listeners.push_back(std::make_shared<OwedBytesListener>(options.reserve));
  }

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Index and filter blocks count against the cache instead of growing
  // beside it with the store.
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.format_version = 5;

  // Larger blocks for the materials: more records per block compress
  // better together.
  rocksdb::BlockBasedTableOptions table_for_materials = table;

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (int i = 0; i < kNumCfs; ++i) {
    const Cf cf = static_cast<Cf>(i);
    rocksdb::ColumnFamilyOptions cf_options;
    cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf_options.level_compaction_dynamic_level_bytes = true;
    cf_options.write_buffer_size = options.memtable_bytes / 2;
    cf_options.compression = rocksdb::kLZ4Compression;
    if (cf == Cf::kMaterials) {
      // Materials are small records of text: zstd packs them tighter than
      // LZ4 at a small cost per read. (zstd with trained dictionaries packed
      // them tighter still, but Debian's RocksDB prepares the dictionary
      // again for every block it reads, which made reads 50 times slower.)
      cf_options.compression = rocksdb::kZSTD;
      cf_options.bottommost_compression = rocksdb::kZSTD;
      cf_options.bottommost_compression_opts.level = 6;
      cf_options.bottommost_compression_opts.enabled = true;
      table_for_materials.block_size = 16 << 10;
      cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table_for_materials));
    }
    if (cf == Cf::kLegacyChunks) {
      // 1 MiB chunks go to blob files, so compactions do not rewrite them;
      // files (PDF, video) are compressed already.
      cf_options.enable_blob_files = true;
      cf_options.min_blob_size = 4096;
      cf_options.blob_compression_type = rocksdb::kNoCompression;
      cf_options.enable_blob_garbage_collection = true;
      cf_options.blob_garbage_collection_age_cutoff = 0.5;
    }
    descriptors.emplace_back(i == 0 ? rocksdb::kDefaultColumnFamilyName : std::string(CfName(cf)),
                             cf_options);
  }
  // The default family (required by RocksDB) holds the materials.
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) return FromRocks(s, absl::StrCat("open ", options.path));
  return std::unique_ptr<KvStore>(
      new RocksKv(std::move(env), std::move(db), std::move(handles), options.reserve));
}

}  // namespace minga
