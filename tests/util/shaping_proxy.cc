#include "tests/util/shaping_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/util/process.h"

namespace minga::testing {

// Both sockets of one proxied connection; closed once, by whoever ends it.
struct ShapingProxy::Connection {
  int client = -1, server = -1;
  std::once_flag closed;
  void Close() {
    std::call_once(closed, [this] {
      ::shutdown(client, SHUT_RDWR);
      ::shutdown(server, SHUT_RDWR);
    });
  }
  ~Connection() {
    ::close(client);
    ::close(server);
  }
};

ShapingProxy::~ShapingProxy() { Stop(); }

absl::Status ShapingProxy::Start(int listen_port, int target_port, const std::string& listen_host) {
  target_port_ = target_port;
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = LoopbackAddress(listen_port, listen_host.c_str());
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    return absl::UnavailableError(absl::StrCat("shaping proxy: cannot listen on ", listen_host, ":",
                                               listen_port, ": ", strerror(errno)));
  }
  acceptor_ = std::thread([this] { Accept(); });
  return absl::OkStatus();
}

void ShapingProxy::Stop() {
  stopping_ = true;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& c : connections_) c->Close();
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections_.clear();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
}

void ShapingProxy::Cut(bool cut) {
  cut_ = cut;
  if (!cut) return;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& c : connections_) c->Close();
}

void ShapingProxy::Accept() {
  while (!stopping_) {
    const int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) {
      if (errno == EINTR) continue;
      return;  // shut down
    }
    if (cut_) {
      ::close(client);
      continue;
    }
    const int server = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = LoopbackAddress(target_port_);
    if (::connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(client);
      ::close(server);
      continue;
    }
    int one = 1;
    ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // A small send buffer each way, so that when the kernel drops what the
    // proxy sends (a lossy or cut link below it), the proxy stalls as the
    // link's sender would, instead of pacing megabytes into a buffer that
    // then crosses at once.
    int buffer = 64 * 1024;
    ::setsockopt(client, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
    ::setsockopt(server, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
    auto c = std::make_shared<Connection>();
    c->client = client;
    c->server = server;
    std::lock_guard<std::mutex> lock(mu_);
    connections_.push_back(c);
    threads_.emplace_back([this, c] { Pump(c, c->client, c->server); });
    threads_.emplace_back([this, c] { Pump(c, c->server, c->client); });
  }
}

// One direction: a reader stamps each piece with when it may leave (the
// delay after it arrived, and no sooner than the rate allows after the
// piece before), a writer sends it then. At most 256 KiB wait in between,
// so a slow link holds the sender back as a real one would.
void ShapingProxy::Pump(std::shared_ptr<Connection> c, int from, int to) {
  struct Piece {
    absl::Time due;
    std::string bytes;
  };
  std::mutex mu;
  std::condition_variable changed;
  std::deque<Piece> queue;
  size_t queued = 0;
  bool done = false, broken = false;
  std::thread writer([&] {
    while (true) {
      Piece p;
      {
        std::unique_lock<std::mutex> lock(mu);
        changed.wait(lock, [&] { return done || !queue.empty(); });
        if (queue.empty()) return;
        p = std::move(queue.front());
        queue.pop_front();
        queued -= p.bytes.size();
      }
      changed.notify_all();
      absl::SleepFor(p.due - absl::Now());
      for (size_t sent = 0; sent < p.bytes.size();) {
        const ssize_t n = ::send(to, p.bytes.data() + sent, p.bytes.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          c->Close();
          std::lock_guard<std::mutex> lock(mu);
          broken = true;
          changed.notify_all();
          return;
        }
        sent += static_cast<size_t>(n);
      }
    }
  });
  absl::Time last_due = absl::InfinitePast();
  char buffer[4 * 1024];  // pieces of a few packets, as a paced link sends them
  while (true) {
    const ssize_t n = ::recv(from, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const absl::Time due =
        std::max(absl::Now() + delay_,
                 last_due + absl::Seconds(static_cast<double>(n) / static_cast<double>(rate_)));
    last_due = due;
    std::unique_lock<std::mutex> lock(mu);
    changed.wait(lock, [&] { return broken || queued < (256 << 10); });
    if (broken) break;
    queue.push_back({due, std::string(buffer, static_cast<size_t>(n))});
    queued += static_cast<size_t>(n);
    changed.notify_all();
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    done = true;
  }
  changed.notify_all();
  writer.join();
  c->Close();
}

}  // namespace minga::testing
