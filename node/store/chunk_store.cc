#include "node/store/chunk_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

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

class FileChunkStore : public ChunkStore {
 public:
  FileChunkStore(fs::path dir, const DiskReserve* reserve)
      : dir_(std::move(dir)), reserve_(reserve) {}

  absl::Status Put(absl::string_view sha, absl::string_view data) override {
    if (reserve_ != nullptr) {
      if (absl::Status room = reserve_->Check(data.size(), "chunks: "); !room.ok()) return room;
    }
    const std::string hex = absl::BytesToHexString(sha);
    const fs::path sub = dir_ / hex.substr(0, 2);
    if (::mkdir(sub.c_str(), 0700) != 0 && errno != EEXIST) return Errno("mkdir", sub);
    // Written aside and renamed: a reader never sees half a chunk.
    const fs::path tmp = dir_ / "tmp" / absl::StrCat(hex, ".", counter_.fetch_add(1));
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("create", tmp);
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        const absl::Status s = Errno("write", tmp);
        ::close(fd);
        ::unlink(tmp.c_str());
        return s;
      }
      done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) {
      const absl::Status s = Errno("close", tmp);
      ::unlink(tmp.c_str());
      return s;
    }
    const fs::path path = sub / hex;
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      const absl::Status s = Errno("rename", path);
      ::unlink(tmp.c_str());
      return s;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> Get(absl::string_view sha) override {
    const std::string hex = absl::BytesToHexString(sha);
    const fs::path path = dir_ / hex.substr(0, 2) / hex;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return std::nullopt;
      return Errno("open", path);
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      const absl::Status s = Errno("stat", path);
      ::close(fd);
      return s;
    }
    std::string data(static_cast<size_t>(st.st_size), '\0');
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n =
          ::pread(fd, data.data() + done, data.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    ::close(fd);
    data.resize(done);
    return data;
  }

  absl::Status Delete(absl::string_view sha) override {
    const std::string hex = absl::BytesToHexString(sha);
    const fs::path path = dir_ / hex.substr(0, 2) / hex;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("unlink", path);
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    // Every file written since on this filesystem, in one call.
    const int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Errno("open", dir_);
    const bool ok = ::syncfs(fd) == 0;
    ::close(fd);
    if (!ok) return Errno("syncfs", dir_);
    return absl::OkStatus();
  }

  absl::Status ForEach(const std::function<void(const std::string&)>& fn) override {
    std::error_code ec;
    for (const fs::directory_entry& sub : fs::directory_iterator(dir_, ec)) {
      if (!sub.is_directory() || sub.path().filename().string().size() != 2) continue;
      for (const fs::directory_entry& f : fs::directory_iterator(sub.path(), ec)) {
        const std::string name = f.path().filename().string();
        if (name.size() != 64) continue;
        fn(absl::HexStringToBytes(name));
      }
    }
    if (ec)
      return absl::UnavailableError(
          absl::StrCat("chunks: list ", dir_.string(), ": ", ec.message()));
    return absl::OkStatus();
  }

 private:
  const fs::path dir_;
  const DiskReserve* const reserve_;  // null: no reserve
  std::atomic<uint64_t> counter_{0};
};

}  // namespace

std::unique_ptr<ChunkStore> NewMemChunkStore() { return std::make_unique<MemChunkStore>(); }

absl::StatusOr<std::unique_ptr<ChunkStore>> OpenFileChunkStore(const std::string& dir,
                                                               const DiskReserve* reserve) {
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "tmp", ec);
  if (ec) return absl::UnavailableError(absl::StrCat("chunks: ", dir, ": ", ec.message()));
  // Writes a crash interrupted.
  for (const fs::directory_entry& e : fs::directory_iterator(fs::path(dir) / "tmp", ec)) {
    fs::remove(e.path(), ec);
  }
  return std::unique_ptr<ChunkStore>(new FileChunkStore(dir, reserve));
}

}  // namespace minga
