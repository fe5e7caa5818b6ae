#include "tests/util/power_cut_fs.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

namespace minga::testing {
namespace {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

// A writable file that reports what it wrote and synced to its PowerCutFs.
// Range syncs do not count as syncs: RocksDB always ends with a full one
// where it needs durability.
class TrackedFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  TrackedFile(std::unique_ptr<rocksdb::FSWritableFile> file, std::string name, uint64_t size,
              PowerCutFs* fs)
      : FSWritableFileOwnerWrapper(std::move(file)), name_(std::move(name)), size_(size), fs_(fs) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = fs_->CheckPower(); !s.ok()) return s;
    IOStatus s = target()->Append(data, options, dbg);
    if (s.ok()) size_ += data.size();
    return s.ok() ? fs_->Written(name_, size_) : s;
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& /*info*/, IODebugContext* dbg) override {
    return Append(data, options, dbg);
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            IODebugContext* dbg) override {
    if (IOStatus s = fs_->CheckPower(); !s.ok()) return s;
    IOStatus s = target()->PositionedAppend(data, offset, options, dbg);
    if (s.ok()) size_ = std::max(size_, offset + data.size());
    return s.ok() ? fs_->Written(name_, size_) : s;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            const rocksdb::DataVerificationInfo& /*info*/,
                            IODebugContext* dbg) override {
    return PositionedAppend(data, offset, options, dbg);
  }
  IOStatus Truncate(uint64_t size, const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = fs_->CheckPower(); !s.ok()) return s;
    IOStatus s = target()->Truncate(size, options, dbg);
    if (s.ok()) size_ = size;
    return s.ok() ? fs_->Written(name_, size_) : s;
  }
  IOStatus Flush(const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = fs_->CheckPower(); !s.ok()) return s;
    return target()->Flush(options, dbg);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = fs_->CheckPower(); !s.ok()) return s;
    IOStatus s = target()->Sync(options, dbg);
    return s.ok() ? fs_->Synced(name_) : s;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (IOStatus s = fs_->CheckPower(); !s.ok()) return s;
    IOStatus s = target()->Fsync(options, dbg);
    return s.ok() ? fs_->Synced(name_) : s;
  }
  IOStatus Close(const IOOptions& options, IODebugContext* dbg) override {
    // Closing writes nothing more and syncs nothing: it always succeeds, so
    // a store closed after the power went off releases its files.
    return target()->Close(options, dbg);
  }

 private:
  const std::string name_;
  uint64_t size_;
  PowerCutFs* const fs_;
};

}  // namespace

PowerCutFs::PowerCutFs() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}

void PowerCutFs::PowerOff() {
  absl::MutexLock lock(&mu_);
  off_ = true;
}

uint64_t PowerCutFs::PowerOnLosingUnsynced() {
  absl::MutexLock lock(&mu_);
  uint64_t lost = 0;
  for (const auto& [name, state] : files_) {
    std::error_code ec;
    const uint64_t now = std::filesystem::file_size(name, ec);
    if (ec || now <= state.synced) continue;
    if (::truncate(name.c_str(), static_cast<off_t>(state.synced)) == 0) lost += now - state.synced;
  }
  files_.clear();
  off_ = false;
  return lost;
}

IOStatus PowerCutFs::CheckPower() {
  absl::MutexLock lock(&mu_);
  return off_ ? IOStatus::IOError("power cut (test)") : IOStatus::OK();
}

IOStatus PowerCutFs::Written(const std::string& fname, uint64_t end) {
  absl::MutexLock lock(&mu_);
  FileState& state = files_[fname];
  state.size = end;
  state.synced = std::min(state.synced, end);
  return IOStatus::OK();
}

IOStatus PowerCutFs::Synced(const std::string& fname) {
  absl::MutexLock lock(&mu_);
  FileState& state = files_[fname];
  state.synced = state.size;
  return IOStatus::OK();
}

IOStatus PowerCutFs::Wrap(const std::string& fname, uint64_t size,
                          std::unique_ptr<rocksdb::FSWritableFile>* result) {
  {
    absl::MutexLock lock(&mu_);
    // A new or reused file: none of it is durable until synced. (A file
    // reopened for appending keeps what it had.)
    files_[fname] = FileState{size, size};
  }
  *result = std::make_unique<TrackedFile>(std::move(*result), fname, size, this);
  return IOStatus::OK();
}

IOStatus PowerCutFs::NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                     std::unique_ptr<rocksdb::FSWritableFile>* result,
                                     IODebugContext* dbg) {
  if (IOStatus s = CheckPower(); !s.ok()) return s;
  IOStatus s = target()->NewWritableFile(fname, options, result, dbg);
  return s.ok() ? Wrap(fname, 0, result) : s;
}

IOStatus PowerCutFs::ReopenWritableFile(const std::string& fname,
                                        const rocksdb::FileOptions& options,
                                        std::unique_ptr<rocksdb::FSWritableFile>* result,
                                        IODebugContext* dbg) {
  if (IOStatus s = CheckPower(); !s.ok()) return s;
  IOStatus s = target()->ReopenWritableFile(fname, options, result, dbg);
  if (!s.ok()) return s;
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(fname, ec);
  return Wrap(fname, ec ? 0 : size, result);
}

IOStatus PowerCutFs::ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       IODebugContext* dbg) {
  if (IOStatus s = CheckPower(); !s.ok()) return s;
  IOStatus s = target()->ReuseWritableFile(fname, old_fname, options, result, dbg);
  if (!s.ok()) return s;
  {
    absl::MutexLock lock(&mu_);
    files_.erase(old_fname);
  }
  return Wrap(fname, 0, result);
}

IOStatus PowerCutFs::RenameFile(const std::string& src, const std::string& target_name,
                                const IOOptions& options, IODebugContext* dbg) {
  if (IOStatus s = CheckPower(); !s.ok()) return s;
  IOStatus s = target()->RenameFile(src, target_name, options, dbg);
  if (!s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto it = files_.find(src);
  if (it != files_.end()) {
    files_[target_name] = it->second;
    files_.erase(src);
  } else {
    files_.erase(target_name);
  }
  return s;
}

IOStatus PowerCutFs::DeleteFile(const std::string& fname, const IOOptions& options,
                                IODebugContext* dbg) {
  if (IOStatus s = CheckPower(); !s.ok()) return s;
  IOStatus s = target()->DeleteFile(fname, options, dbg);
  if (s.ok()) {
    absl::MutexLock lock(&mu_);
    files_.erase(fname);
  }
  return s;
}

}  // namespace minga::testing
