#include "node/store/chunk_store.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "node/core/read_file.h"
#include "node/core/status_macros.h"
#include "node/store/crc32c.h"

namespace minga {
namespace {

namespace fs = std::filesystem;

class MemChunkStore : public ChunkStore {
 public:
  absl::Status Put(absl::string_view sha, absl::string_view data) override {
    absl::MutexLock lock(&mu_);
    chunks_[std::string(sha)] = std::string(data);
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view sha) override {
    absl::MutexLock lock(&mu_);
    auto it = chunks_.find(std::string(sha));
    if (it == chunks_.end()) return std::nullopt;
    return it->second;
  }
  absl::Status Delete(absl::string_view sha) override {
    absl::MutexLock lock(&mu_);
    chunks_.erase(std::string(sha));
    return absl::OkStatus();
  }
  absl::Status Sync() override { return absl::OkStatus(); }
  absl::Status ForEach(const std::function<void(const std::string&)>& fn) override {
    std::vector<std::string> all;
    {
      absl::MutexLock lock(&mu_);
      for (const auto& [sha, data] : chunks_) all.push_back(sha);
    }
    for (const std::string& sha : all) fn(sha);
    return absl::OkStatus();
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::string> chunks_ ABSL_GUARDED_BY(mu_);
};

absl::Status Errno(absl::string_view what, const std::string& path) {
  if (errno == ENOSPC || errno == EDQUOT) {
    return DiskFullError("chunks: ", absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
  }
  return absl::UnavailableError(
      absl::StrCat("chunks: ", what, " ", path, ": ", std::strerror(errno)));
}

// A record's header, little-endian: magic, flags, size of the bytes that
// follow, the CRC32C of the SHA-256 and the bytes (zero in records written
// before it had one: no kChecksummed flag), the chunk's SHA-256.
constexpr size_t kHeaderBytes = 48;
constexpr uint32_t kMagic = 0x4b43474d;  // "MGCK"
constexpr uint32_t kDeleted = 1;
constexpr uint32_t kChecksummed = 2;
constexpr size_t kFlagsAt = 4;
constexpr size_t kCrcAt = 12;

// What a record's CRC32C covers: the hash the index finds it by, then the
// bytes, so a record read from the wrong place fails too.
uint32_t RecordCrc(absl::string_view sha, absl::string_view data) {
  return Crc32c(data, Crc32c(sha.substr(0, 32)));
}

void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// Whole reads and writes at an offset; false with errno set, or (reads)
// with errno 0 when the file ends first.
bool WriteAt(int fd, const struct iovec* parts, int count, uint64_t offset) {
  std::vector<struct iovec> left(parts, parts + count);
  size_t first = 0;
  while (first < left.size()) {
    const ssize_t n =
        ::pwritev(fd, left.data() + first, static_cast<int>(left.size() - first), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    offset += static_cast<uint64_t>(n);
    size_t done = static_cast<size_t>(n);
    while (first < left.size() && done >= left[first].iov_len) done -= left[first++].iov_len;
    if (first < left.size()) {
      left[first].iov_base = static_cast<char*>(left[first].iov_base) + done;
      left[first].iov_len -= done;
    }
  }
  return true;
}
bool ReadAt(int fd, char* out, size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = 0;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// An fd closed when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class PackChunkStore : public ChunkStore {
 public:
  PackChunkStore(fs::path dir, const DiskReserve* reserve, uint64_t pack_bytes)
      : dir_(std::move(dir)),
        packs_dir_(dir_ / "packs"),
        reserve_(reserve),
        pack_bytes_(pack_bytes) {}

  // Rebuilds the index from the packs, then moves in chunks of the older
  // layout.
  absl::Status Open() {
    std::error_code ec;
    fs::create_directories(packs_dir_, ec);
    if (ec)
      return absl::UnavailableError(absl::StrCat("chunks: ", dir_.string(), ": ", ec.message()));
    std::vector<uint32_t> ids;
    for (const fs::directory_entry& e : fs::directory_iterator(packs_dir_, ec)) {
      const std::string name = e.path().filename().string();
      uint32_t id = 0;
      if (absl::EndsWith(name, ".pack") && absl::SimpleAtoi(name.substr(0, name.size() - 5), &id)) {
        ids.push_back(id);
      }
    }
    if (ec)
      return absl::UnavailableError(
          absl::StrCat("chunks: ", packs_dir_.string(), ": ", ec.message()));
    std::sort(ids.begin(), ids.end());
    for (uint32_t id : ids) {
      if (absl::Status s = ScanPack(id); !s.ok()) return s;
    }
    {
      absl::MutexLock append(&append_mu_);
      next_id_ = ids.empty() ? 1 : ids.back() + 1;
    }
    return MoveInOlderLayout();
  }

  absl::Status Put(absl::string_view sha, absl::string_view data) override {
    if (reserve_ != nullptr) {
      if (absl::Status room = reserve_->Check(data.size(), "chunks: "); !room.ok()) return room;
    }
    char header[kHeaderBytes] = {};
    PutU32(header, kMagic);
    PutU32(header + kFlagsAt, kChecksummed);
    PutU32(header + 8, static_cast<uint32_t>(data.size()));
    std::memcpy(header + 16, sha.data(), std::min<size_t>(sha.size(), 32));
    const uint32_t crc = RecordCrc(absl::string_view(header + 16, 32), data);
    PutU32(header + kCrcAt, crc);
    Loc loc;
    std::shared_ptr<Fd> fd;
    std::optional<Loc> replaced;
    {
      // Appends are one at a time: a record is whole before the next one
      // starts after it, so a scan never meets a gap, and a Sync covers
      // every record before the last one written.
      absl::MutexLock append(&append_mu_);
      if (active_ == nullptr || active_end_ >= pack_bytes_) {
        if (absl::Status s = StartPack(); !s.ok()) return s;
      }
      struct iovec parts[2] = {{header, kHeaderBytes},
                               {const_cast<char*>(data.data()), data.size()}};
      if (!WriteAt(active_->get(), parts, 2, active_end_)) {
        const absl::Status s = Errno("write", PackPath(active_id_));
        // Nothing after the last whole record.
        if (::ftruncate(active_->get(), static_cast<off_t>(active_end_)) != 0) {
          // The scan at open cuts the pack at the same place.
        }
        return s;
      }
      loc = Loc{active_id_, active_end_, static_cast<uint32_t>(data.size()), crc, true};
      active_end_ += kHeaderBytes + data.size();
      fd = active_;
      // Counted before the append lock goes, so the next pack's start
      // never finds this one empty and removes it.
      absl::MutexLock lock(&mu_);
      ++live_[loc.pack];
      dirty_.insert(loc.pack);
      auto [it, inserted] = index_.try_emplace(std::string(sha), loc);
      if (!inserted) {
        replaced = it->second;
        it->second = loc;
      }
    }
    // Starts the write-back now, without waiting for it (and outside the
    // lock: it can wait for the disk's queue): the disk works while the
    // next chunks arrive, and Sync has little left to do. Advisory, as
    // RocksDB's bytes_per_sync.
    ::sync_file_range(fd->get(), static_cast<off_t>(loc.offset),
                      static_cast<off_t>(kHeaderBytes + data.size()), SYNC_FILE_RANGE_WRITE);
    DropBehind(*fd, loc.pack, loc.offset + kHeaderBytes + data.size());
    if (replaced.has_value()) return Forget(*replaced);
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view sha) override {
    ASSIGN_OR_RETURN(Read read, GetChecked(sha));
    return std::move(read.data);
  }

  absl::StatusOr<Read> GetChecked(absl::string_view sha) override {
    std::optional<Loc> loc = Find(sha);
    while (loc.has_value()) {
      ASSIGN_OR_RETURN(std::optional<Read> read, ReadRecord(sha, *loc));
      if (read.has_value() && (read->intact || !loc->checksummed)) return *std::move(read);
      // Its pack gone, or its bytes not those put: a Put of the same chunk
      // may have moved it since it was looked up, and forgotten (punched
      // out) the place read. Only where it still is there is it gone or
      // damaged; until then it is read again where it went (each move is
      // another Put's write, so this ends when they do).
      std::optional<Loc> now = Find(sha);
      if (!now.has_value() || (now->pack == loc->pack && now->offset == loc->offset)) {
        return read.has_value() ? *std::move(read) : Read{};
      }
      loc = now;
    }
    return Read{};
  }

  absl::Status Delete(absl::string_view sha) override {
    Loc loc;
    {
      absl::MutexLock lock(&mu_);
      auto it = index_.find(sha);
      if (it == index_.end()) return absl::OkStatus();
      loc = it->second;
      index_.erase(it);
    }
    return Forget(loc);
  }

  absl::Status Sync() override {
    // One at a time: a Sync that finds nothing left to do because another
    // took the packs it wrote must still return only once they are synced.
    absl::MutexLock one(&sync_mu_);
    std::vector<uint32_t> dirty;
    bool dir_dirty = false;
    {
      absl::MutexLock lock(&mu_);
      dirty.assign(dirty_.begin(), dirty_.end());
      dirty_.clear();
      std::swap(dir_dirty, dir_dirty_);
    }
    absl::Status status = absl::OkStatus();
    for (uint32_t id : dirty) {
      const std::string path = PackPath(id);
      Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
      if (fd.get() < 0 && errno == ENOENT) continue;  // emptied and removed
      if (fd.get() < 0 || ::fdatasync(fd.get()) != 0) {
        status = Errno("sync", path);
        break;
      }
    }
    if (status.ok() && dir_dirty) {
      Fd fd(::open(packs_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (fd.get() < 0 || ::fsync(fd.get()) != 0) status = Errno("sync", packs_dir_);
    }
    if (!status.ok()) {
      // Still owed: the next Sync tries again.
      absl::MutexLock lock(&mu_);
      dirty_.insert(dirty.begin(), dirty.end());
      dir_dirty_ = dir_dirty_ || dir_dirty;
    }
    return status;
  }

  absl::Status ForEach(const std::function<void(const std::string&)>& fn) override {
    std::vector<std::string> all;
    {
      absl::MutexLock lock(&mu_);
      all.reserve(index_.size());
      for (const auto& [sha, loc] : index_) all.push_back(sha);
    }
    for (const std::string& sha : all) fn(sha);
    return absl::OkStatus();
  }

 private:
  struct Loc {
    uint32_t pack = 0;
    uint64_t offset = 0;  // of the record's header
    uint32_t size = 0;    // of the chunk
    uint32_t crc = 0;     // of the hash and the chunk, where checksummed
    bool checksummed = false;
  };
  std::optional<Loc> Find(absl::string_view sha) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto it = index_.find(sha);
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }

  // The record of `sha` at `loc`: nullopt when its pack is gone (deleted
  // since it was looked up); bytes cut short come back as far as they go,
  // which the checks find wanting.
  absl::StatusOr<std::optional<Read>> ReadRecord(absl::string_view sha, const Loc& loc) {
    const std::string path = PackPath(loc.pack);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 && errno == ENOENT) return std::nullopt;
    if (fd.get() < 0) return Errno("open", path);
    std::string data(loc.size, '\0');
    if (!ReadAt(fd.get(), data.data(), data.size(), loc.offset + kHeaderBytes)) {
      if (errno != 0) return Errno("read", path);
    }
    const bool intact = loc.checksummed && RecordCrc(sha, data) == loc.crc;
    return Read{std::move(data), intact};
  }

  std::string PackPath(uint32_t id) const {
    return (packs_dir_ / absl::StrFormat("%08u.pack", id)).string();
  }

  // Once a pack's bytes more than kDropBehindBytes behind its end are
  // written back, their pages leave the page cache: a node taking in
  // gigabytes of files keeps reusing a few megabytes of cache instead of
  // taking fresh pages for every chunk (and evicting what else is cached).
  static constexpr uint64_t kDropBehindBytes = 8 << 20;
  void DropBehind(const Fd& fd, uint32_t pack, uint64_t written_to) {
    uint64_t from;
    {
      absl::MutexLock lock(&drop_mu_);
      if (dropped_pack_ != pack) {
        dropped_pack_ = pack;
        dropped_to_ = 0;
      }
      if (written_to < dropped_to_ + 2 * kDropBehindBytes) return;
      from = dropped_to_;
      dropped_to_ = written_to - kDropBehindBytes;
    }
    const off_t offset = static_cast<off_t>(from);
    const off_t length = static_cast<off_t>(written_to - kDropBehindBytes - from);
    ::sync_file_range(
        fd.get(), offset, length,
        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
    ::posix_fadvise(fd.get(), offset, length, POSIX_FADV_DONTNEED);
  }

  absl::Status StartPack() ABSL_EXCLUSIVE_LOCKS_REQUIRED(append_mu_) {
    const uint32_t id = next_id_++;
    const std::string path = PackPath(id);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("create", path);
    const uint32_t old = active_id_;
    active_ = std::make_shared<Fd>(fd);
    active_id_ = id;
    active_end_ = 0;
    writing_id_.store(id);
    absl::MutexLock lock(&mu_);
    dir_dirty_ = true;
    live_.try_emplace(id, 0);
    // The pack written to before may have emptied meanwhile.
    if (old != 0) RemoveIfEmpty(old);
    return absl::OkStatus();
  }

  // Marks the record deleted and punches its bytes out; removes its pack
  // once nothing in it is left and it is not written to.
  absl::Status Forget(const Loc& loc) {
    {
      absl::MutexLock lock(&mu_);
      auto it = live_.find(loc.pack);
      if (it == live_.end()) return absl::OkStatus();  // the pack is gone
      if (--it->second == 0 && RemoveIfEmpty(loc.pack)) return absl::OkStatus();
    }
    const std::string path = PackPath(loc.pack);
    Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (fd.get() < 0 && errno == ENOENT) return absl::OkStatus();
    if (fd.get() < 0) return Errno("open", path);
    char flags[4];
    PutU32(flags, kDeleted);
    struct iovec part = {flags, sizeof flags};
    if (!WriteAt(fd.get(), &part, 1, loc.offset + kFlagsAt)) return Errno("write", path);
    const off_t at = static_cast<off_t>(loc.offset + kHeaderBytes);
    if (::fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, at, loc.size) != 0) {
      if (errno != EOPNOTSUPP) return Errno("punch", path);
      // The file system cannot punch holes: the bytes are overwritten.
      std::string zeros(loc.size, '\0');
      struct iovec z = {zeros.data(), zeros.size()};
      if (!WriteAt(fd.get(), &z, 1, static_cast<uint64_t>(at))) return Errno("write", path);
    }
    return absl::OkStatus();
  }

  // Removes pack `id` when nothing in it is live and it is not being
  // written to. Whether it did.
  bool RemoveIfEmpty(uint32_t id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = live_.find(id);
    if (it == live_.end() || it->second != 0 || id == writing_id_.load()) return false;
    live_.erase(it);
    dirty_.erase(id);
    ::unlink(PackPath(id).c_str());
    return true;
  }

  // Reads every record header of pack `id` into the index.
  absl::Status ScanPack(uint32_t id) {
    const std::string path = PackPath(id);
    Fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (fd.get() < 0) return Errno("open", path);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Errno("stat", path);
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    uint64_t at = 0;
    std::vector<std::pair<std::string, Loc>> found;
    while (at + kHeaderBytes <= size) {
      char header[kHeaderBytes];
      if (!ReadAt(fd.get(), header, kHeaderBytes, at)) return Errno("read", path);
      const uint32_t chunk = GetU32(header + 8);
      if (GetU32(header) != kMagic || at + kHeaderBytes + chunk > size) break;
      const uint32_t flags = GetU32(header + kFlagsAt);
      if ((flags & kDeleted) == 0) {
        found.emplace_back(std::string(header + 16, 32), Loc{id, at, chunk, GetU32(header + kCrcAt),
                                                             (flags & kChecksummed) != 0});
      }
      at += kHeaderBytes + chunk;
    }
    // A record cut short by a crash, and anything after it, goes.
    if (at < size && ::ftruncate(fd.get(), static_cast<off_t>(at)) != 0) {
      return Errno("truncate", path);
    }
    std::vector<Loc> replaced;
    {
      absl::MutexLock lock(&mu_);
      live_[id] += found.size();
      for (auto& [sha, loc] : found) {
        auto [it, inserted] = index_.try_emplace(std::move(sha), loc);
        if (!inserted) {
          // Written again later (moved in twice, or a crash before the
          // older copy was punched): the later copy is the one kept.
          replaced.push_back(it->second);
          it->second = loc;
        }
      }
      if (found.empty()) RemoveIfEmpty(id);
    }
    for (const Loc& loc : replaced) {
      if (absl::Status s = Forget(loc); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // Chunks of the older layout, a file each, are appended to packs,
  // synced, and only then removed: a crash in between leaves both, and
  // the scan keeps the later copy.
  absl::Status MoveInOlderLayout() {
    std::error_code ec;
    std::vector<fs::path> moved;
    std::vector<fs::path> subdirs;
    for (const fs::directory_entry& sub : fs::directory_iterator(dir_, ec)) {
      const std::string name = sub.path().filename().string();
      if (!sub.is_directory() || name.size() != 2) continue;
      subdirs.push_back(sub.path());
      for (const fs::directory_entry& f : fs::directory_iterator(sub.path(), ec)) {
        const std::string hex = f.path().filename().string();
        if (hex.size() != 64) continue;
        absl::StatusOr<std::string> data = ReadFileToString(f.path(), SIZE_MAX);
        if (!data.ok()) return data.status();
        if (absl::Status s = Put(absl::HexStringToBytes(hex), *data); !s.ok()) return s;
        moved.push_back(f.path());
      }
    }
    if (ec)
      return absl::UnavailableError(
          absl::StrCat("chunks: list ", dir_.string(), ": ", ec.message()));
    if (!moved.empty()) {
      if (absl::Status s = Sync(); !s.ok()) return s;
    }
    for (const fs::path& p : moved) fs::remove(p, ec);
    for (const fs::path& p : subdirs) fs::remove(p, ec);  // only if empty
    fs::remove_all(dir_ / "tmp", ec);
    return absl::OkStatus();
  }

  const fs::path dir_;
  const fs::path packs_dir_;
  const DiskReserve* const reserve_;  // null: no reserve
  const uint64_t pack_bytes_;

  absl::Mutex sync_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  absl::Mutex append_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  std::shared_ptr<Fd> active_ ABSL_GUARDED_BY(append_mu_);  // null: none yet
  absl::Mutex drop_mu_;
  uint32_t dropped_pack_ ABSL_GUARDED_BY(drop_mu_) = 0;
  uint64_t dropped_to_ ABSL_GUARDED_BY(drop_mu_) = 0;
  uint32_t active_id_ ABSL_GUARDED_BY(append_mu_) = 0;
  uint64_t active_end_ ABSL_GUARDED_BY(append_mu_) = 0;
  uint32_t next_id_ ABSL_GUARDED_BY(append_mu_) = 1;
  // The pack being appended to, which is never removed (read under mu_).
  std::atomic<uint32_t> writing_id_{0};

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Loc> index_ ABSL_GUARDED_BY(mu_);
  std::map<uint32_t, uint64_t> live_ ABSL_GUARDED_BY(mu_);  // records per pack
  std::set<uint32_t> dirty_ ABSL_GUARDED_BY(mu_);           // written since Sync
  bool dir_dirty_ ABSL_GUARDED_BY(mu_) = false;             // a pack created since Sync
};

}  // namespace

absl::StatusOr<ChunkStore::Read> ChunkStore::GetChecked(absl::string_view sha) {
  ASSIGN_OR_RETURN(std::optional<std::string> data, Get(sha));
  return Read{std::move(data), false};
}

std::unique_ptr<ChunkStore> NewMemChunkStore() { return std::make_unique<MemChunkStore>(); }

absl::StatusOr<std::unique_ptr<ChunkStore>> OpenFileChunkStore(const std::string& dir,
                                                               const DiskReserve* reserve,
                                                               uint64_t pack_bytes) {
  auto store = std::make_unique<PackChunkStore>(dir, reserve, pack_bytes);
  if (absl::Status s = store->Open(); !s.ok()) return s;
  return std::unique_ptr<ChunkStore>(std::move(store));
}

}  // namespace minga
