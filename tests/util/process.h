// Child processes for integration tests: run a command to completion, or
// keep a daemon running and kill it. POSIX only.
#ifndef MINGA_TESTS_UTIL_PROCESS_H_
#define MINGA_TESTS_UTIL_PROCESS_H_

#include <netinet/in.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace minga::testing {

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};

// Runs argv[0] (a path, or a name looked up in PATH) with its arguments, feeding `input` on stdin;
// kills it after `timeout`.
RunResult Run(const std::vector<std::string>& argv, const std::string& input = "",
              absl::Duration timeout = absl::Seconds(60));

// A background process whose stdout and stderr go to `log_path`.
class Process {
 public:
  Process() = default;
  ~Process();  // kills it (SIGKILL) if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  bool Start(const std::vector<std::string>& argv, const std::string& log_path);
  // Sends `signal`; for SIGTERM/SIGINT waits up to `timeout` for the exit.
  void Signal(int signal);
  // Waits for the exit; returns the exit status (or -signal).
  int Wait(absl::Duration timeout = absl::Seconds(30));
  // True once the process has exited (it is then reaped: running() is
  // false, and exit_status() says how it ended).
  bool Exited();
  int exit_status() const { return exit_status_; }
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int exit_status_ = 0;  // of the last exit Exited saw (127: exec failed)
};

// A fresh directory under $TMPDIR, removed with its contents when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's
// ephemeral range so no outgoing connection takes it meanwhile.
int FreePort();
// The address `host`:`port`; `host` is a dotted IPv4 address, one of
// 127.0.0.0/8 in the tests.
sockaddr_in LoopbackAddress(int port, const char* host = "127.0.0.1");

std::string ReadFileOrEmpty(const std::string& path);
// A number field of /proc/PID/status ("Threads", "VmRSS" in KiB, "VmHWM");
// -1 when absent.
long ProcStatus(pid_t pid, const std::string& field);
void WriteFile(const std::string& path, const std::string& text);

}  // namespace minga::testing

#endif  // MINGA_TESTS_UTIL_PROCESS_H_
