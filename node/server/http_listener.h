// HttpListener: the node's HTTP endpoint for monitoring (GET /metrics) and
// harvesting (GET or POST /oai, and the schema of its own metadata format
// at /oai/minga-material.xsd), over cpp-httplib. Plain HTTP on a loopback
// address, HTTPS with the node's certificate elsewhere (the config
// insists). Any other path is 404.
//
// Thread safety: Start and Stop from one thread; the page function is
// called on the listener's own two worker threads.
#ifndef MINGA_NODE_SERVER_HTTP_LISTENER_H_
#define MINGA_NODE_SERVER_HTTP_LISTENER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace httplib {
class Server;
}

namespace minga {

struct HttpListenerOptions {
  // "host:port"; port 0 picks a free one (see port()).
  std::string listen;
  // PEM files for HTTPS; both empty: plain HTTP.
  std::string cert_file;
  std::string key_file;
  // Renders GET /metrics.
  std::function<std::string()> metrics;
  // Answers /oai when set: the request's arguments (query or form), and the
  // address it reached; an error status is a 500.
  using OaiHandler = std::function<absl::StatusOr<std::string>(
      const std::vector<std::pair<std::string, std::string>>& args, const std::string& base_url)>;
  OaiHandler oai;
  // The /oai address harvesters use; empty: the request's scheme and Host.
  std::string oai_base_url;
  // Served at /oai/minga-material.xsd.
  std::string oai_schema;
};

class HttpListener {
 public:
  // Binds and starts serving. UNAVAILABLE naming http.listen when the
  // address cannot be bound (a port in use, say); INVALID_ARGUMENT when
  // the certificate or key cannot be loaded.
  static absl::StatusOr<std::unique_ptr<HttpListener>> Start(HttpListenerOptions options);
  ~HttpListener();  // stops
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  int port() const { return port_; }
  void Stop();

 private:
  HttpListener() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace minga

#endif  // MINGA_NODE_SERVER_HTTP_LISTENER_H_
