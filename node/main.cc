// minga-node: the Minga daemon. Parses its flags and runs the node
// (node/server/node.h), or one of the offline tasks on a stopped node's data
// directory: --init, --new-admin-token, --new-feed-id, --rotate-key; or
// checks a config without starting: --check-config.
#include <malloc.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "node/catalog/catalog.h"
#include "node/config/config.h"
#include "node/core/crypto.h"
#include "node/core/log.h"
#include "node/server/check_config.h"
#include "node/server/identity.h"
#include "node/server/node.h"
#include "node/store/rocks_kv.h"

namespace {

constexpr char kUsage[] = R"(minga-node: a Minga federated catalog node

Usage:
  minga-node [--config FILE]     run the node (no config: the embedded default:
                                 org "local", data in ./minga-data, admin socket
                                 ./minga-data/admin.sock, no federation listener)
  minga-node --check-config FILE
                                 check a config and the federation file it names
                                 without starting or writing anything; exit 0
                                 and a summary, or 2 and what is wrong
  minga-node --config FILE --init
                                 create the data directory and signing key,
                                 print the public key for the federation file,
                                 and exit
  minga-node --config FILE --new-feed-id
                                 after restoring the data directory from a
                                 backup: give the store a new feed id so
                                 partners pull it afresh (node stopped)
  minga-node --config FILE --rotate-key
                                 replace the signing key (lost or stolen; node
                                 stopped) and print what the federation file
                                 needs, on every member, before restarting
  minga-node --new-admin-token   print a new random admin token, and the
                                 admin_token_sha256 line to put in a config
                                 for it (see admin_listen)
  minga-node --version | --help

Option:
  --log-format text|json         log lines to stderr as text (the default) or
                                 as one JSON object per line (time, level,
                                 component, msg and the line's fields, such
                                 as peer or origin) for log collectors

The node stops cleanly on SIGINT or SIGTERM. Config format: protobuf text
(minga.v1.NodeConfig), see config/*.textproto.
)";

// Sets the log format named by --log-format; false for an unknown one.
bool ApplyLogFormat(const std::string& format) {
  if (format == "json") minga::SetLogFormat(minga::LogFormat::kJson);
  return format == "json" || format == "text";
}

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "minga-node: %s\n", message.c_str());
  return code;
}

int Fail(const absl::Status& status, int code) { return Fail(std::string(status.message()), code); }

// What the command line asks for.
struct Flags {
  enum class Task {
    kRun,
    kHelp,
    kVersion,
    kNewAdminToken,
    kCheckConfig,
    kInit,
    kNewFeedId,
    kRotateKey
  };
  Task task = Task::kRun;
  std::string config_path;  // --config, or --check-config's file
};

// Parses the flags; on a usage error returns the message (exit code 2).
absl::StatusOr<Flags> ParseFlags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      flags.task = Flags::Task::kHelp;
      return flags;
    } else if (arg == "--version") {
      flags.task = Flags::Task::kVersion;
      return flags;
    } else if (arg == "--new-admin-token") {
      flags.task = Flags::Task::kNewAdminToken;
      return flags;
    } else if (arg == "--check-config") {
      if (i + 1 >= argc) return absl::InvalidArgumentError("--check-config needs a config file");
      flags.task = Flags::Task::kCheckConfig;
      flags.config_path = argv[++i];
      return flags;
    } else if (arg == "--init") {
      flags.task = Flags::Task::kInit;
    } else if (arg == "--new-feed-id") {
      flags.task = Flags::Task::kNewFeedId;
    } else if (arg == "--rotate-key") {
      flags.task = Flags::Task::kRotateKey;
    } else if (arg == "--log-format" || arg.rfind("--log-format=", 0) == 0) {
      const std::string format = arg.size() > 12 ? arg.substr(13) : i + 1 < argc ? argv[++i] : "";
      if (!ApplyLogFormat(format)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--log-format: '", format, "' is not text or json"));
      }
    } else if (arg == "--config" && i + 1 < argc) {
      flags.config_path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      flags.config_path = arg.substr(9);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument '", arg, "'; see --help"));
    }
  }
  return flags;
}

int NewAdminToken() {
  const std::string token = absl::WebSafeBase64Escape(minga::RandomBytes(24));
  std::printf(
      "token (give it to the administrator, keep it secret):\n  %s\n"
      "config line (the node keeps only the hash):\n  admin_token_sha256: \"%s\"\n",
      token.c_str(), minga::DigestToHex(minga::Sha256(token)).c_str());
  return 0;
}

int CheckConfig(const std::string& path) {
  absl::StatusOr<std::string> summary = minga::CheckConfigFile(path);
  if (!summary.ok()) return Fail(summary.status(), 2);
  std::fputs(summary->c_str(), stdout);
  return 0;
}

int Init(const minga::v1::NodeConfig& config) {
  absl::Status dir = minga::EnsureDataDir(config.data_dir());
  if (!dir.ok()) return Fail(dir, 1);
  absl::StatusOr<minga::SigningKey> key = minga::LoadOrCreateSigningKey(config.data_dir());
  if (!key.ok()) return Fail(key.status(), 1);
  std::printf("org_id: %s\nsigning_public_key: %s\n", config.org_id().c_str(),
              key->public_key().ToBase64().c_str());
  return 0;
}

int NewFeedId(const minga::v1::NodeConfig& config) {
  minga::RocksKvOptions options;
  options.path = minga::StorePath(config.data_dir());
  if (!std::filesystem::exists(options.path)) {
    return Fail(absl::StrCat("data_dir: no store at '", options.path, "'"), 1);
  }
  absl::StatusOr<std::unique_ptr<minga::KvStore>> kv = minga::OpenRocksKv(options);
  if (!kv.ok()) return Fail(kv.status(), 1);
  absl::Status rotated = minga::Catalog::NewFeedId(kv->get());
  if (!rotated.ok()) return Fail(rotated, 1);
  std::printf("the store has a new feed id; partners will pull it from the start\n");
  return 0;
}

int RotateKey(const minga::v1::NodeConfig& config) {
  // The store tells where this node's versions reached: the old key stops
  // vouching just above, and the node continues there with the new one.
  uint64_t highest = 0;
  const std::string store = minga::StorePath(config.data_dir());
  if (std::filesystem::exists(store)) {
    minga::RocksKvOptions options;
    options.path = store;
    absl::StatusOr<std::unique_ptr<minga::KvStore>> kv = minga::OpenRocksKv(options);
    if (!kv.ok()) return Fail(kv.status(), 1);
    absl::StatusOr<uint64_t> h = minga::Catalog::HighestOwnVersion(kv->get(), config.org_id());
    if (!h.ok()) return Fail(h.status(), 1);
    highest = *h;
  }
  absl::StatusOr<minga::RotatedKey> rotated = minga::RotateSigningKey(config.data_dir());
  if (!rotated.ok()) return Fail(rotated.status(), 1);
  std::printf(
      "new signing key made; the old one is kept beside it.\n"
      "In the federation file of every member, for org_id \"%s\", set:\n"
      "  signing_public_key: \"%s\"\n"
      "  retired_keys { public_key: \"%s\" retired_from_version: %llu }\n"
      "then restart them all, this one included (it starts once the file names its new key).\n",
      config.org_id().c_str(), rotated->new_key.public_key().ToBase64().c_str(),
      rotated->old_key.ToBase64().c_str(), static_cast<unsigned long long>(highest + 1));
  return 0;
}

// Runs the node until SIGINT or SIGTERM (blocked in every thread by the
// caller, and waited for here).
int Run(const minga::v1::NodeConfig& config, const std::string& config_path,
        const sigset_t& signals) {
  absl::StatusOr<std::unique_ptr<minga::Node>> node = minga::Node::Start(config);
  if (!node.ok()) {
    const std::string where = config_path.empty() ? "" : config_path + ": ";
    return Fail(where + std::string(node.status().message()), 1);
  }
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    minga::LogInfo("node", absl::StrCat("received ", strsignal(sig)), {{"signal", sig}});
    (*node)->Shutdown();
  });
  (*node)->Wait();
  waiter.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef __GLIBC__
  // glibc gives busy threads arenas of their own (up to 8 per core), and
  // each keeps what it freed: two arenas cut a pulling node's peak memory
  // by about 12% (minga-sync-bench, 100,000 materials), within the noise
  // of its speed. MALLOC_ARENA_MAX in the environment still wins.
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, 2);
#endif
  // Debian's Abseil is built without NDEBUG, so its deadlock detection (a
  // debugging aid) is on: every Mutex lock also updates a process-wide
  // graph of lock order under a global lock. The TSan job reports lock
  // order inversions instead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) return Fail(flags.status(), 2);
  using Task = Flags::Task;
  if (flags->task == Task::kHelp) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (flags->task == Task::kVersion) {
    std::printf("minga-node %s\n", MINGA_VERSION);
    return 0;
  }
  if (!minga::InitCrypto().ok()) return Fail("libsodium failed to initialise", 1);
  if (flags->task == Task::kNewAdminToken) return NewAdminToken();
  if (flags->task == Task::kCheckConfig) return CheckConfig(flags->config_path);

  // Signals go to one thread that waits for them; block them everywhere
  // else before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Everything the node creates (store, key, index, admin socket) is its
  // own: nothing is made readable by others, not even for an instant.
  ::umask(077);

  absl::StatusOr<minga::v1::NodeConfig> config = flags->config_path.empty()
                                                     ? minga::DefaultNodeConfig()
                                                     : minga::LoadNodeConfig(flags->config_path);
  if (!config.ok()) return Fail(config.status(), 2);
  switch (flags->task) {
    case Task::kInit:
      return Init(*config);
    case Task::kNewFeedId:
      return NewFeedId(*config);
    case Task::kRotateKey:
      return RotateKey(*config);
    default:
      return Run(*config, flags->config_path, signals);
  }
}
