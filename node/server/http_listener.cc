#include "node/server/http_listener.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace minga {
namespace {

// "host:port" or "[v6]:port" into host and port.
bool SplitHostPort(const std::string& s, std::string* host, int* port) {
  const size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  *host = s.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return absl::SimpleAtoi(s.substr(colon + 1), port) && *port >= 0 && *port <= 65535;
}

void ServeOai(const HttpListenerOptions& options, httplib::Server* server) {
  const std::string scheme = options.cert_file.empty() ? "http://" : "https://";
  auto oai = [handler = options.oai, base = options.oai_base_url, scheme, listen = options.listen](
                 const httplib::Request& req, httplib::Response& res) {
    // httplib parses the query of a GET and the form of a POST alike.
    std::vector<std::pair<std::string, std::string>> args(req.params.begin(), req.params.end());
    std::string base_url = base;
    if (base_url.empty()) {
      const std::string host = req.get_header_value("Host");
      base_url = absl::StrCat(scheme, host.empty() ? listen : host, "/oai");
    }
    absl::StatusOr<std::string> doc = handler(args, base_url);
    if (!doc.ok()) {
      res.status = 500;
      res.set_content(absl::StrCat("the node could not read its store: ", doc.status().message()),
                      "text/plain");
      return;
    }
    res.set_content(*std::move(doc), "text/xml; charset=utf-8");
  };
  server->Get("/oai", oai);
  server->Post("/oai", oai);
  server->Get("/oai/minga-material.xsd",
              [schema = options.oai_schema](const httplib::Request&, httplib::Response& res) {
                res.set_content(schema, "application/xml");
              });
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpListener>> HttpListener::Start(HttpListenerOptions options) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(options.listen, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("http.listen: '", options.listen, "' is not host:port"));
  }
  std::unique_ptr<HttpListener> listener(new HttpListener());
  if (options.cert_file.empty()) {
    listener->server_ = std::make_unique<httplib::Server>();
  } else {
    listener->server_ =
        std::make_unique<httplib::SSLServer>(options.cert_file.c_str(), options.key_file.c_str());
  }
  httplib::Server& server = *listener->server_;
  if (!server.is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat("http.listen: cannot load tls.cert_file '",
                                                   options.cert_file, "' or tls.key_file"));
  }
  // httplib's default sets SO_REUSEPORT, with which a second node on the
  // same port would share it silently (scrapes reaching either node): keep
  // only SO_REUSEADDR, so a second bind fails.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Scrapes are small and rare: two workers, not one per core.
  server.new_task_queue = [] { return new httplib::ThreadPool(2); };
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  auto metrics = std::move(options.metrics);
  server.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (options.oai) ServeOai(options, &server);
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404) res.set_content("not found; try /metrics or /oai\n", "text/plain");
  });
  if (port == 0) {
    port = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return absl::UnavailableError(
        absl::StrCat("http.listen: cannot listen on '", options.listen, "' (is the port in use?)"));
  }
  listener->port_ = port;
  // httplib's stop() does nothing until the accept loop runs, so a listener
  // stopped right after it started would block its destructor forever: wait
  // for the loop (or for its end, should accept fail at once).
  auto ended = std::make_shared<std::atomic<bool>>(false);
  listener->thread_ = std::thread([&server, ended] {
    server.listen_after_bind();
    ended->store(true);
  });
  while (!server.is_running() && !ended->load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return listener;
}

HttpListener::~HttpListener() { Stop(); }

void HttpListener::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace minga
