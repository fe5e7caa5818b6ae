#include "bench/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tests/util/process.h"

namespace minga::bench {
namespace {

void NoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

// Writes all of `data`; false when the peer went away.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

CountingProxy::~CountingProxy() { Stop(); }

absl::Status CountingProxy::Start(int listen_port, int target_port) {
  target_port_ = target_port;
  if (pipe(stop_pipe_) != 0) return absl::InternalError("proxy: pipe failed");
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr = testing::LoopbackAddress(listen_port);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listen_fd_, 64) != 0) {
    return absl::UnavailableError(
        absl::StrCat("proxy: cannot listen on 127.0.0.1:", listen_port, ": ", strerror(errno)));
  }
  acceptor_ = std::thread([this] { Accept(); });
  return absl::OkStatus();
}

void CountingProxy::Stop() {
  if (stop_pipe_[1] >= 0) {
    const char c = 'x';
    (void)!write(stop_pipe_[1], &c, 1);
  }
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> connections;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connections.swap(connections_);
  }
  for (std::thread& t : connections) t.join();
  for (int* fd : {&listen_fd_, &stop_pipe_[0], &stop_pipe_[1]}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

void CountingProxy::Accept() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = testing::LoopbackAddress(target_port_);
    if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(client);
      close(server);
      continue;
    }
    NoDelay(client);
    NoDelay(server);
    std::lock_guard<std::mutex> lock(mu_);
    connections_.emplace_back([this, client, server] { Forward(client, server); });
  }
}

void CountingProxy::Forward(int client, int server) {
  char buffer[64 * 1024];
  bool open = true;
  while (open) {
    pollfd fds[3] = {{client, POLLIN, 0}, {server, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[2].revents != 0) break;
    for (int side = 0; side < 2 && open; ++side) {
      if (fds[side].revents == 0) continue;
      const int from = side == 0 ? client : server;
      const int to = side == 0 ? server : client;
      const ssize_t n = recv(from, buffer, sizeof(buffer), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || !WriteAll(to, buffer, static_cast<size_t>(n))) {
        open = false;
        break;
      }
      (side == 0 ? up_ : down_) += static_cast<uint64_t>(n);
    }
  }
  close(client);
  close(server);
}

}  // namespace minga::bench
