// A real minga-node serving /metrics, read three ways: by an HTTP client,
// by `promtool check metrics` (Prometheus' own linter of the text format),
// and by a real Prometheus server (Debian's `prometheus`) scraping the node,
// whose query API must then return the node's counts.
#include <httplib.h>

#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/util/federation_harness.h"
#include "tests/util/node_harness.h"
#include "tests/util/paths.h"
#include "tests/util/process.h"

namespace minga::testing {
namespace {

using ::testing::HasSubstr;

// The value of the first series of an instant query, or "" while there is
// none (Prometheus has not scraped yet) or it cannot be asked.
std::string QueryValue(httplib::Client& prometheus, const std::string& query) {
  httplib::Params params{{"query", query}};
  httplib::Result r = prometheus.Get("/api/v1/query", params, httplib::Headers());
  if (!r || r->status != 200) return "";
  const nlohmann::json body = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || body.value("status", "") != "success") return "";
  const nlohmann::json& result = body["data"]["result"];
  if (!result.is_array() || result.empty()) return "";
  return result[0]["value"][1].get<std::string>();
}

TEST(MetricsTest, ARealPrometheusScrapesTheNodeAndSeesWhatItHolds) {
  TempDir tmp;
  NodeHarness node(tmp.path(), "casa-ana");
  const int http_port = FreePort();
  node.WriteConfig(absl::StrCat(
      "allow_plaintext_loopback: true\nhttp { listen: \"127.0.0.1:", http_port, "\" }\n"));
  ASSERT_TRUE(node.Start()) << node.log();
  RunResult imported = node.Client({"import", SampleMaterialsPath()});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  RunResult found = node.Client({"search", "violencia"});
  ASSERT_EQ(found.exit_code, 0) << found.err;

  httplib::Client http("127.0.0.1", http_port);
  httplib::Result page = http.Get("/metrics");
  ASSERT_TRUE(page) << "no answer from /metrics";
  ASSERT_EQ(page->status, 200);
  EXPECT_THAT(page->get_header_value("Content-Type"), HasSubstr("version=0.0.4"));
  const std::string& text = page->body;
  EXPECT_THAT(text, HasSubstr("minga_materials{origin=\"casa-ana\",state=\"held\"} 60\n"));
  EXPECT_THAT(text, HasSubstr("minga_search_seconds_count 1\n"));
  EXPECT_THAT(text, HasSubstr("minga_store_engine_running_compactions "));
  EXPECT_THAT(text, HasSubstr("process_resident_memory_bytes "));
  EXPECT_THAT(text, HasSubstr("minga_chunks_served_total 0\n"));
  httplib::Result missing = http.Get("/nothing-here");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  RunResult lint = testing::Run({"promtool", "check", "metrics"}, text);
  EXPECT_EQ(lint.exit_code, 0) << "promtool: " << lint.out << lint.err;

  const int prometheus_port = FreePort();
  const std::string config = tmp.path() + "/prometheus.yml";
  WriteFile(config, absl::StrCat("global:\n  scrape_interval: 1s\n"
                                 "scrape_configs:\n  - job_name: minga\n"
                                 "    static_configs:\n      - targets: ['127.0.0.1:",
                                 http_port, "']\n"));
  Process prometheus;
  ASSERT_TRUE(prometheus.Start(
      {"prometheus", "--config.file=" + config, "--storage.tsdb.path=" + tmp.path() + "/tsdb",
       absl::StrCat("--web.listen-address=127.0.0.1:", prometheus_port)},
      tmp.path() + "/prometheus.log"))
      << "cannot start prometheus (is Debian's prometheus package installed?)";
  httplib::Client api("127.0.0.1", prometheus_port);
  // Waits for the first scrapes; the deadline is for a hang, not for speed.
  std::string held;
  std::string up;
  const absl::Time give_up = absl::Now() + absl::Seconds(120);
  while (absl::Now() < give_up && !prometheus.Exited()) {
    up = QueryValue(api, "up{job=\"minga\"}");
    held = QueryValue(api, "minga_materials{origin=\"casa-ana\",state=\"held\"}");
    if (up == "1" && held == "60") break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  EXPECT_EQ(up, "1") << ReadFileOrEmpty(tmp.path() + "/prometheus.log");
  EXPECT_EQ(held, "60");
  EXPECT_EQ(QueryValue(api, "minga_search_seconds_count"), "1");
  EXPECT_NE(QueryValue(api, "process_threads"), "");
  prometheus.Signal(SIGTERM);
  EXPECT_EQ(node.Stop(), 0) << node.log();
}

// Off loopback the page is served over HTTPS with the node's certificate,
// and plain HTTP gets no page.
// A second node given the same HTTP port refuses to start, naming the
// field, rather than sharing the port with the first.
TEST(MetricsTest, ASecondNodeOnTheSameHttpPortIsRefused) {
  TempDir tmp;
  const std::string config = absl::StrCat(
      "allow_plaintext_loopback: true\nhttp { listen: \"127.0.0.1:", FreePort(), "\" }\n");
  NodeHarness first(tmp.path(), "casa-ana");
  first.WriteConfig(config);
  ASSERT_TRUE(first.Start()) << first.log();
  NodeHarness second(tmp.path(), "casa-bea");
  second.WriteConfig(config);
  EXPECT_FALSE(second.Start()) << "both nodes on one port";
  EXPECT_THAT(second.log(), HasSubstr("http.listen: cannot listen on '127.0.0.1:"));
  EXPECT_THAT(second.log(), HasSubstr("(is the port in use?)"));
}

TEST(MetricsTest, OffLoopbackThePageIsServedOverTls) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"casa-ana"});
  const int http_port = FreePort();
  fed.AddConfig(0, absl::StrCat("http { listen: \"0.0.0.0:", http_port, "\" }\n"));
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll()) << fed.node(0).log();

  httplib::SSLClient https("127.0.0.1", http_port);
  https.set_ca_cert_path((fed.certs() + "/ca.pem").c_str());
  // The certificate names the org id, not this address: the chain is what
  // is checked here.
  https.enable_server_certificate_verification(false);
  httplib::Result page = https.Get("/metrics");
  ASSERT_TRUE(page) << "no answer over TLS: " << httplib::to_string(page.error());
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("minga_node_info{org=\"casa-ana\""));

  httplib::Client plain("127.0.0.1", http_port);
  httplib::Result refused = plain.Get("/metrics");
  EXPECT_TRUE(!refused || refused->status != 200);
  EXPECT_EQ(fed.node(0).Stop(), 0) << fed.node(0).log();
}

// A node pulling from a partner over mutual TLS shows the partner on its
// page: following, every revision applied, no failure outstanding.
TEST(MetricsTest, APullingNodeShowsItsPartnerFollowedAndCaughtUp) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"ana", "bea"});
  fed.Link(1, 0);
  const int http_port = FreePort();
  fed.AddConfig(1, absl::StrCat("http { listen: \"127.0.0.1:", http_port, "\" }\n"));
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll()) << fed.node(1).log();
  ASSERT_EQ(fed.node(0).Client({"import", SampleMaterialsPath()}).exit_code, 0);

  httplib::Client http("127.0.0.1", http_port);
  const std::string following = "minga_peer_state{peer=\"ana\",state=\"following\"} 1\n";
  const std::string applied = "minga_peer_revisions_applied_total{peer=\"ana\"} 60\n";
  std::string text;
  // The deadline is for a hang: the pull itself takes well under a second.
  const absl::Time give_up = absl::Now() + absl::Seconds(120);
  while (absl::Now() < give_up) {
    httplib::Result page = http.Get("/metrics");
    text = page && page->status == 200 ? page->body : "";
    if (text.find(following) != std::string::npos && text.find(applied) != std::string::npos) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(text, HasSubstr(following));
  EXPECT_THAT(text, HasSubstr(applied));
  EXPECT_THAT(text, HasSubstr("minga_materials{origin=\"ana\",state=\"held\"} 60\n"));
  EXPECT_THAT(text, HasSubstr("minga_peer_lag_changes{peer=\"ana\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("minga_peer_failures{peer=\"ana\"} 0\n"));
  // The bytes of the pull that crossed the link; heartbeats add to them.
  std::smatch bytes;
  ASSERT_TRUE(std::regex_search(
      text, bytes, std::regex(R"(minga_peer_bytes_received_total\{peer="ana"\} (\d+))")))
      << text;
  const uint64_t received = std::stoull(bytes[1].str());
  EXPECT_GT(received, 1000u);
  EXPECT_GE(JsonNumber(fed.node(1).Client({"--json", "peers"}).out, "bytes_received"), received);
}

}  // namespace
}  // namespace minga::testing
