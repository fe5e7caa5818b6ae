// A real minga-node process for integration tests, driven with the real
// `minga` client. Paths of both binaries come from the build
// (MINGA_NODE_BIN, MINGA_CLIENT_BIN).
#ifndef MINGA_TESTS_UTIL_NODE_HARNESS_H_
#define MINGA_TESTS_UTIL_NODE_HARNESS_H_

#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/util/process.h"

namespace minga::testing {

class NodeHarness {
 public:
  // The node lives in <root>/<org>: config, data and log.
  NodeHarness(const std::string& root, const std::string& org) : org_(org), dir_(root + "/" + org) {
    std::filesystem::create_directories(dir_);
  }

  const std::string& org() const { return org_; }
  const std::string& dir() const { return dir_; }
  std::string data_dir() const { return dir_ + "/data"; }
  std::string socket() const { return data_dir() + "/admin.sock"; }
  std::string config_path() const { return dir_ + "/node.textproto"; }
  std::string log() const { return ReadFileOrEmpty(dir_ + "/node.log"); }

  // Writes the config: org, data dir, and `rest` (text-format fields).
  void WriteConfig(const std::string& rest) {
    WriteFile(config_path(), absl::StrCat("org_id: \"", org_, "\"\ndata_dir: \"data\"\n", rest));
  }

  // Creates the data directory and key; returns the public key (base64).
  std::string Init() {
    RunResult r = Run({MINGA_NODE_BIN, "--config", config_path(), "--init"});
    const std::string marker = "signing_public_key: ";
    const size_t at = r.out.find(marker);
    if (r.exit_code != 0 || at == std::string::npos) return "";
    std::string key = r.out.substr(at + marker.size());
    return key.substr(0, key.find('\n'));
  }

  // Starts the node and waits until its admin endpoint answers; false at
  // once if the process exits (its log says why). The timeout is for a
  // hang, not a slow machine.
  bool Start(absl::Duration timeout = absl::Seconds(120)) {
    std::vector<std::string> argv = {MINGA_NODE_BIN, "--config", config_path()};
    argv.insert(argv.end(), node_flags_.begin(), node_flags_.end());
    if (!process_.Start(argv, dir_ + "/node.log")) return false;
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      if (process_.Exited()) {
        fprintf(stderr, "%s exited at start with status %d%s\n", org_.c_str(),
                process_.exit_status(),
                process_.exit_status() == 127 ? " (could not run " MINGA_NODE_BIN ")" : "");
        return false;
      }
      if (Client({"--timeout", "5", "status"}, "", absl::Seconds(10)).exit_code == 0) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    return false;
  }

  // More minga-node flags for the next Start.
  void SetNodeFlags(std::vector<std::string> flags) { node_flags_ = std::move(flags); }

  void Kill9() {
    process_.Signal(SIGKILL);
    process_.Wait();
  }

  // SIGTERM; returns the exit status (0 for a clean stop). An unclean one
  // prints the end of the node's log, where a sanitizer or abort says why.
  int Stop() {
    process_.Signal(SIGTERM);
    const int status = process_.Wait(absl::Seconds(60));
    if (status != 0) {
      const std::string text = log();
      fprintf(stderr, "%s stopped with status %d; the end of its log:\n%s\n", org_.c_str(), status,
              text.substr(text.size() > 6000 ? text.size() - 6000 : 0).c_str());
    }
    return status;
  }

  bool running() const { return process_.running(); }
  pid_t pid() const { return process_.pid(); }

  RunResult Client(std::vector<std::string> args, const std::string& input = "",
                   absl::Duration timeout = absl::Seconds(60)) {
    std::vector<std::string> argv = {MINGA_CLIENT_BIN, "--node", "unix:" + socket()};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv, input, timeout);
  }

 private:
  std::vector<std::string> node_flags_;
  std::string org_;
  std::string dir_;
  Process process_;
};

}  // namespace minga::testing

#endif  // MINGA_TESTS_UTIL_NODE_HARNESS_H_
