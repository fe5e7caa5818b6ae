// Two Syncthing instances on loopback, for the files benchmark: A shares a
// folder send-only, B receives it, dialling A through a given port (the
// benchmark's counting proxy). Discovery, relays, NAT traversal, usage and
// crash reports and upgrades are off; each instance is driven through its
// REST API with its own key. Needs Debian's `syncthing` (1.19).
//
// Not thread-safe. The destructor stops both instances.
#ifndef MINGA_BENCH_SYNCTHING_PAIR_H_
#define MINGA_BENCH_SYNCTHING_PAIR_H_

#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/util/process.h"

namespace minga::bench {

class SyncthingPair {
 public:
  SyncthingPair() = default;
  SyncthingPair(const SyncthingPair&) = delete;
  SyncthingPair& operator=(const SyncthingPair&) = delete;
  ~SyncthingPair();

  // Makes both homes under `root` (keys, device ids, config): A shares
  // `source`, B receives into `root`/copy, dialling A at 127.0.0.1:
  // `a_via_port`, which must forward to a_port().
  absl::Status Setup(const std::filesystem::path& root, const std::filesystem::path& source,
                     int a_via_port);
  int a_port() const { return a_listen_; }

  // Starts an instance (its REST API answers when this returns). A's
  // folder and B's peer start paused.
  absl::Status StartA();
  absl::Status StartB();
  // A starts its first scan; B starts syncing from A.
  absl::Status ResumeAFolder();
  absl::Status ResumeBPeer();
  // A has scanned the whole folder: `files` files, `bytes` bytes.
  bool AScanned(uint64_t files, uint64_t bytes);
  // B holds the whole folder: nothing needed, `files` files of `bytes`.
  bool BSynced(uint64_t files, uint64_t bytes);
  // Asks A to rescan its folder now; returns once the scan is done.
  absl::Status RescanA();
  // The version vector of file `name` as A or B holds it (empty when it
  // is not known): equal on both once B holds A's version.
  std::string AVersion(const std::string& name) { return LocalVersion(a_info_, name); }
  std::string BVersion(const std::string& name) { return LocalVersion(b_info_, name); }
  std::filesystem::path b_folder() const { return root_ / "copy"; }
  pid_t a_pid() const { return a_.pid(); }
  pid_t b_pid() const { return b_.pid(); }

 private:
  struct Instance {
    std::filesystem::path home;
    std::string id;
    std::string api_key;
    int gui_port = 0;
  };
  absl::Status MakeHome(Instance& instance, const std::string& name);
  absl::Status Start(const Instance& instance, testing::Process& process, const char* log);
  absl::StatusOr<std::string> Get(const Instance& instance, const std::string& path);
  bool FolderState(const Instance& instance, uint64_t files, uint64_t bytes, bool receiver);
  std::string LocalVersion(const Instance& instance, const std::string& name);
  absl::Status Patch(const Instance& instance, const std::string& path, const std::string& json);

  std::filesystem::path root_;
  Instance a_info_, b_info_;
  int a_listen_ = 0;
  testing::Process a_, b_;
};

}  // namespace minga::bench

#endif  // MINGA_BENCH_SYNCTHING_PAIR_H_
