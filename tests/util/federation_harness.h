// Several real minga-node processes on loopback, each with its own data
// directory, in one federation: a CA and certificates made with
// scripts/make-certs.sh, keys made with `minga-node --init`, a shared
// federation file, and configs linking the nodes as a test asks.
#ifndef MINGA_TESTS_UTIL_FEDERATION_HARNESS_H_
#define MINGA_TESTS_UTIL_FEDERATION_HARNESS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/util/node_harness.h"

namespace minga::testing {

// The string or number value of a top-level `"key":` in one line of JSON
// (enough for the client's --json output in tests).
inline std::string JsonField(const std::string& json, const std::string& key) {
  std::smatch m;
  const std::regex string_re("\"" + key + "\":\"([^\"]*)\"");
  if (std::regex_search(json, m, string_re)) return m[1];
  const std::regex number_re("\"" + key + "\":([0-9.]+)");
  if (std::regex_search(json, m, number_re)) return m[1];
  return "";
}

// A number field of the client's --json output; 0 when absent (proto3 JSON
// leaves zeros out).
inline uint64_t JsonNumber(const std::string& json, const std::string& key) {
  const std::string v = JsonField(json, key);
  return v.empty() ? 0 : std::stoull(v);
}

// Whether `files_json`, the output of `minga --json files ID`, lists a file
// and every file it lists is complete. JSON leaves out "complete":false, so
// the files are counted rather than a "false" looked for.
inline bool AllFilesComplete(const std::string& files_json) {
  size_t listed = 0, complete = 0;
  for (size_t at = 0; (at = files_json.find("\"media_type\":", at)) != std::string::npos; ++at) {
    ++listed;
  }
  for (size_t at = 0; (at = files_json.find("\"complete\":true", at)) != std::string::npos; ++at) {
    ++complete;
  }
  return listed > 0 && complete == listed;
}

class FederationHarness {
 public:
  FederationHarness(const std::string& root, std::vector<std::string> orgs)
      : root_(root),
        orgs_(std::move(orgs)),
        extra_(orgs_.size()),
        sync_(orgs_.size()),
        peers_(orgs_.size()) {
    for (const std::string& org : orgs_) {
      nodes_.push_back(std::make_unique<NodeHarness>(root_, org));
      ports_.push_back(FreePort());
    }
  }

  // `puller` pulls from `peer`; `subscription` is text inside
  // `subscription { ... }`.
  void Link(int puller, int peer, const std::string& subscription = "") {
    peers_[puller] +=
        absl::StrCat("peers { org_id: \"", orgs_[peer], "\"",
                     subscription.empty() ? "" : " subscription { " + subscription + " }", " }\n");
  }
  // Link, with more fields of the PeerConfig (text).
  void LinkWith(int puller, int peer, const std::string& fields) {
    peers_[puller] += absl::StrCat("peers { org_id: \"", orgs_[peer], "\" ", fields, " }\n");
  }
  void LinkBoth(int a, int b) {
    Link(a, b);
    Link(b, a);
  }
  // More config text for one node (top-level NodeConfig fields).
  void AddConfig(int node, const std::string& text) { extra_[node] += text; }
  // More fields inside the node's `sync { ... }` block.
  void AddSyncConfig(int node, const std::string& text) { sync_[node] += " " + text; }

  std::string certs() const { return root_ + "/certs"; }
  int port(int i) const { return ports_[i]; }
  std::string address(int i) const { return absl::StrCat("127.0.0.1:", ports_[i]); }

  // Certificates, keys, the federation file and every config.
  bool Setup() {
    std::vector<std::string> args = {
        "/bin/bash", std::string(MINGA_SOURCE_DIR) + "/scripts/make-certs.sh", certs()};
    args.insert(args.end(), orgs_.begin(), orgs_.end());
    if (Run(args).exit_code != 0) return false;
    for (size_t i = 0; i < orgs_.size(); ++i) {
      nodes_[i]->WriteConfig(Config(i));
      const std::string key = nodes_[i]->Init();
      if (key.empty()) return false;
      keys_.push_back(key);
    }
    WriteFederation(Federation());
    return true;
  }

  // The federation file's text: each node's member entry, plus `extra`
  // text inside the entry of the org it names.
  std::string Federation(const std::map<std::string, std::string>& extra = {},
                         const std::set<std::string>& leave_out = {}) const {
    std::string federation = "name: \"test\"\n";
    for (size_t i = 0; i < orgs_.size(); ++i) {
      if (leave_out.count(orgs_[i])) continue;
      auto more = extra.find(orgs_[i]);
      absl::StrAppend(&federation, "members { org_id: \"", orgs_[i], "\" signing_public_key: \"",
                      keys_[i], "\" addresses: \"", address(i), "\" ",
                      more == extra.end() ? "" : more->second, " }\n");
    }
    return federation;
  }
  void WriteFederation(const std::string& text) {
    WriteFile(root_ + "/federation.textproto", text);
  }
  // A member's signing key (base64), as the federation file lists it.
  void SetKey(int i, const std::string& key) { keys_[i] = key; }
  // Drops `puller`'s link to `peer` (RewriteConfig to apply it).
  void Unlink(int puller, int peer) {
    const std::string line = absl::StrCat("peers { org_id: \"", orgs_[peer], "\"");
    std::string kept;
    for (absl::string_view l : absl::StrSplit(peers_[puller], '\n')) {
      if (!l.empty() && !absl::StartsWith(l, line)) absl::StrAppend(&kept, l, "\n");
    }
    peers_[puller] = kept;
  }

  std::string Config(size_t i) const {
    return absl::StrCat("listen: \"", address(i), "\"\n",
                        "federation_file: \"../federation.textproto\"\n",
                        "tls { ca_file: \"../certs/ca.pem\" cert_file: \"../certs/", orgs_[i],
                        ".pem\" key_file: \"../certs/", orgs_[i], ".key\" }\n",
                        "sync { heartbeat_seconds: 2 backoff_initial_ms: 100 backoff_max_ms: 1000",
                        sync_[i], " }\n", peers_[i], extra_[i]);
  }

  // Rewrites one node's config (after AddConfig or Link changes).
  void RewriteConfig(int i) { nodes_[i]->WriteConfig(Config(i)); }

  bool StartAll() {
    for (auto& n : nodes_) {
      if (!n->Start()) return false;
    }
    return true;
  }

  NodeHarness& node(int i) { return *nodes_[i]; }
  int size() const { return static_cast<int>(nodes_.size()); }

  std::string StatusJson(int i) { return node(i).Client({"--json", "status"}).out; }

  // Waits until every node reports the same digest as node 0, node 0 has
  // at least `min_head` changes in its feed, and every search index has
  // caught up with its store.
  bool WaitConverged(absl::Duration timeout, uint64_t min_head = 0) {
    const absl::Time deadline = absl::Now() + timeout;
    auto indexed = [](const std::string& status) {
      const std::string lag = JsonField(status, "index_lag");
      return lag.empty() || lag == "0";
    };
    while (absl::Now() < deadline) {
      const std::string first = StatusJson(0);
      const std::string digest = JsonField(first, "digest");
      bool same = !digest.empty() && indexed(first) && JsonNumber(first, "head_lseq") >= min_head;
      for (int i = 1; same && i < size(); ++i) {
        const std::string status = StatusJson(i);
        same = JsonField(status, "digest") == digest && indexed(status);
      }
      if (same) return true;
      absl::SleepFor(absl::Milliseconds(100));
    }
    return false;
  }

 private:
  std::string root_;
  std::vector<std::string> orgs_;
  std::vector<std::string> extra_;
  std::vector<std::string> sync_;
  std::vector<std::string> peers_;
  std::vector<int> ports_;
  std::vector<std::string> keys_;
  std::vector<std::unique_ptr<NodeHarness>> nodes_;
};

}  // namespace minga::testing

#endif  // MINGA_TESTS_UTIL_FEDERATION_HARNESS_H_
