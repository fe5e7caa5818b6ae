// A TCP proxy on loopback that counts the bytes it forwards, so a benchmark
// measures what crosses the wire (TLS records, HTTP headers, gzip and all)
// the same way for every system it compares.
//
// Thread safety: counters may be read from any thread; Start and Stop are
// called by the owner. One thread accepts, and each connection gets one
// thread that forwards both directions.
#ifndef MINGA_BENCH_TCP_PROXY_H_
#define MINGA_BENCH_TCP_PROXY_H_

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace minga::bench {

class CountingProxy {
 public:
  CountingProxy() = default;
  ~CountingProxy();  // Stops.
  CountingProxy(const CountingProxy&) = delete;
  CountingProxy& operator=(const CountingProxy&) = delete;

  // Listens on 127.0.0.1:`listen_port` and forwards each connection to
  // 127.0.0.1:`target_port`.
  absl::Status Start(int listen_port, int target_port);
  // Closes the listener and every connection, and joins the threads.
  void Stop();

  // Bytes forwarded from clients to the target, and back.
  uint64_t bytes_up() const { return up_.load(); }
  uint64_t bytes_down() const { return down_.load(); }
  uint64_t bytes() const { return bytes_up() + bytes_down(); }
  void Reset() {
    up_ = 0;
    down_ = 0;
  }

 private:
  void Accept();
  void Forward(int client, int server);

  int listen_fd_ = -1;
  int target_port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<uint64_t> up_{0};
  std::atomic<uint64_t> down_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> connections_;  // guarded by mu_
};

}  // namespace minga::bench

#endif  // MINGA_BENCH_TCP_PROXY_H_
