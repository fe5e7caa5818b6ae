#include "node/server/identity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "node/core/limits.h"
#include "node/core/read_file.h"
#include "node/core/status_macros.h"

namespace minga {

std::string StorePath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "store").string();
}
std::string ChunksPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "chunks").string();
}
std::string SearchPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "search").string();
}

namespace {

std::string SigningKeyPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "signing.key").string();
}

}  // namespace

absl::Status EnsureDataDir(const std::string& data_dir) {
  std::error_code ec;
  const bool created = std::filesystem::create_directories(data_dir, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("data_dir: cannot create '", data_dir, "': ", ec.message()));
  }
  if (created) {
    // The directory holds the key and the admin socket: owner only.
    if (::chmod(data_dir.c_str(), 0700) != 0) {
      return absl::UnavailableError(absl::StrCat("data_dir: cannot make '", data_dir,
                                                 "' owner-only: ", std::strerror(errno)));
    }
    return absl::OkStatus();
  }
  // An existing directory is the operator's: not changed, but one others may
  // write to is refused (they could replace the key or the admin socket).
  struct stat st;
  if (::stat(data_dir.c_str(), &st) != 0) {
    return absl::UnavailableError(
        absl::StrCat("data_dir: cannot read '", data_dir, "': ", std::strerror(errno)));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("data_dir: '", data_dir,
                     "' is writable by other users; it holds the signing key and "
                     "the admin socket, so make it owner-only (chmod 700)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<RotatedKey> RotateSigningKey(const std::string& data_dir) {
  absl::StatusOr<SigningKey> old = LoadOrCreateSigningKey(data_dir);
  if (!old.ok()) return old.status();
  const std::string path = SigningKeyPath(data_dir);
  const std::string kept = absl::StrCat(path, ".retired-", old->public_key().Fingerprint());
  if (::rename(path.c_str(), kept.c_str()) != 0) {
    return absl::UnavailableError(
        absl::StrCat(path, ": cannot move aside: ", std::strerror(errno)));
  }
  absl::StatusOr<SigningKey> fresh = LoadOrCreateSigningKey(data_dir);
  if (!fresh.ok()) {
    // Put the old one back rather than leave the node without a key.
    if (::rename(kept.c_str(), path.c_str()) != 0) {
      return absl::DataLossError(
          absl::StrCat(fresh.status().message(), "; and the old key could not be put back (",
                       std::strerror(errno), "): move ", kept, " to ", path, " by hand"));
    }
    return fresh.status();
  }
  return RotatedKey{old->public_key(), std::move(*fresh)};
}

absl::StatusOr<std::optional<SigningKey>> LoadSigningKey(const std::string& data_dir) {
  const std::string path = SigningKeyPath(data_dir);
  absl::StatusOr<std::string> stored = ReadFileToString(path, kMaxSmallFileBytes);
  if (absl::IsNotFound(stored.status())) return std::nullopt;
  if (!stored.ok()) return stored.status();
  std::string seed;
  if (!absl::Base64Unescape(absl::StripAsciiWhitespace(*stored), &seed) ||
      seed.size() != SigningKey::kSeedSize) {
    return absl::DataLossError(
        absl::StrCat(path, ": not a signing key (32 bytes in base64); restore it from a backup"));
  }
  ASSIGN_OR_RETURN(SigningKey key, SigningKey::FromSeed(seed));
  return key;
}

absl::StatusOr<SigningKey> LoadOrCreateSigningKey(const std::string& data_dir) {
  const std::string path = SigningKeyPath(data_dir);
  ASSIGN_OR_RETURN(std::optional<SigningKey> stored, LoadSigningKey(data_dir));
  if (stored.has_value()) return std::move(*stored);
  // No key yet: a new node makes its own.
  SigningKey key = SigningKey::Generate();
  const std::string text = absl::Base64Escape(key.seed()) + "\n";
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(tmp, ": ", std::strerror(errno)));
  }
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  // Rename makes the key appear whole or not at all; the directory's fsync
  // makes the rename itself survive a power cut, before the public key is
  // printed and published.
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat(path, ": cannot write: ", std::strerror(errno)));
  }
  const int dir = ::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY);
  const bool dir_synced = dir >= 0 && ::fsync(dir) == 0;
  if (dir >= 0) ::close(dir);
  if (!dir_synced) {
    return absl::UnavailableError(
        absl::StrCat(data_dir, ": cannot sync the directory: ", std::strerror(errno)));
  }
  return key;
}

}  // namespace minga
