// A poor link on loopback for tests, where the kernel offers no netem: a TCP
// proxy that delays every byte by a one-way latency, paces each direction to
// a rate, and can be cut (every connection closed, new ones refused) and
// mended. Packet loss it cannot imitate (TCP hides it): the poor-link test
// drops packets below it with nftables.
//
// Thread safety: Cut may be called from any thread. Each connection uses
// four threads (a reader and a writer each way).
#ifndef MINGA_TESTS_UTIL_SHAPING_PROXY_H_
#define MINGA_TESTS_UTIL_SHAPING_PROXY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace minga::testing {

class ShapingProxy {
 public:
  ShapingProxy(absl::Duration one_way_delay, uint64_t bytes_per_second)
      : delay_(one_way_delay), rate_(bytes_per_second) {}
  ~ShapingProxy();  // Stops.
  ShapingProxy(const ShapingProxy&) = delete;
  ShapingProxy& operator=(const ShapingProxy&) = delete;

  // Listens on `listen_host`:`listen_port`, forwarding to
  // 127.0.0.1:`target_port`.
  absl::Status Start(int listen_port, int target_port,
                     const std::string& listen_host = "127.0.0.1");
  void Stop();
  // Cut: closes every connection and refuses new ones until mended.
  void Cut(bool cut);

 private:
  struct Connection;
  void Accept();
  void Pump(std::shared_ptr<Connection> c, int from, int to);

  const absl::Duration delay_;
  const uint64_t rate_;
  int listen_fd_ = -1;
  int target_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> cut_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::shared_ptr<Connection>> connections_;  // guarded by mu_
  std::vector<std::thread> threads_;                      // guarded by mu_
};

}  // namespace minga::testing

#endif  // MINGA_TESTS_UTIL_SHAPING_PROXY_H_
