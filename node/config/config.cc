#include "node/config/config.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "node/core/defaults.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/read_file.h"
#include "node/core/status_macros.h"
#include "node/core/subscription.h"

namespace minga {
namespace {

class Collector : public google::protobuf::io::ErrorCollector {
 public:
  explicit Collector(absl::string_view source) : source_(source) {}
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) {
      first_ = absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ", message);
    }
  }
  void AddWarning(int, int, const std::string&) override {}
  const std::string& first() const { return first_; }

 private:
  std::string source_;
  std::string first_;
};

template <typename Message>
absl::StatusOr<Message> ParseText(absl::string_view text, absl::string_view source) {
  Message message;
  Collector collector(source);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  if (!parser.ParseFromString(std::string(text), &message)) {
    return absl::InvalidArgumentError(
        collector.first().empty() ? absl::StrCat(source, ": cannot parse") : collector.first());
  }
  return message;
}

std::string Resolve(const std::string& base, const std::string& path) {
  if (path.empty() || base.empty() || std::filesystem::path(path).is_absolute()) {
    return path;
  }
  return (std::filesystem::path(base) / path).lexically_normal().string();
}

// "host:port" with a numeric port; IPv6 hosts in brackets.
absl::Status CheckHostPort(absl::string_view field, absl::string_view value) {
  const size_t colon = value.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(value.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": '", value, "' is not host:port (e.g. 127.0.0.1:7420)"));
  }
  return absl::OkStatus();
}

absl::Status Invalid(absl::string_view field, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", reason));
}

absl::Status CheckReadable(absl::string_view field, const std::string& path) {
  if (path.empty()) return Invalid(field, "required");
  std::ifstream in(path);
  if (!in) {
    return Invalid(field, absl::StrCat("cannot read '", path, "': ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

bool IsLoopbackAddress(absl::string_view host_port) {
  const size_t colon = host_port.rfind(':');
  if (colon == absl::string_view::npos) return false;
  const absl::string_view host = host_port.substr(0, colon);
  if (host == "localhost" || host == "[::1]") return true;
  // A literal 127.a.b.c only: a name like "127.example.org" may resolve to
  // any interface.
  const std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (absl::string_view p : parts) {
    uint32_t octet = 0;
    if (p.empty() || p.size() > 3 || !absl::SimpleAtoi(p, &octet) || octet > 255) return false;
  }
  return true;
}

v1::NodeConfig DefaultNodeConfig() {
  v1::NodeConfig config;
  config.set_org_id("local");
  config.set_data_dir("minga-data");
  // A node alone has nobody to serve: no federation listener, so no local
  // process can pose as a member through a plaintext port.
  config.set_allow_plaintext_loopback(true);
  ApplyDefaults(&config, "");
  return config;
}

absl::StatusOr<v1::NodeConfig> ParseNodeConfig(absl::string_view text, absl::string_view source) {
  return ParseText<v1::NodeConfig>(text, source);
}

absl::StatusOr<v1::FederationFile> ParseFederationFile(absl::string_view text,
                                                       absl::string_view source) {
  return ParseText<v1::FederationFile>(text, source);
}

void ApplyDefaults(v1::NodeConfig* c, const std::string& base_dir) {
  if (c->data_dir().empty()) c->set_data_dir("data");
  c->set_data_dir(Resolve(base_dir, c->data_dir()));
  if (c->admin_socket().empty()) {
    c->set_admin_socket((std::filesystem::path(c->data_dir()) / "admin.sock").string());
  } else {
    c->set_admin_socket(Resolve(base_dir, c->admin_socket()));
  }
  if (!c->has_tls()) {
    // Keep `tls` unset so "no TLS" stays visible.
  } else {
    v1::TlsConfig* tls = c->mutable_tls();
    tls->set_ca_file(Resolve(base_dir, tls->ca_file()));
    tls->set_cert_file(Resolve(base_dir, tls->cert_file()));
    tls->set_key_file(Resolve(base_dir, tls->key_file()));
  }
  c->set_federation_file(Resolve(base_dir, c->federation_file()));
  v1::SyncOptions* s = c->mutable_sync();
  if (s->batch_max_revisions() == 0) s->set_batch_max_revisions(kDefaultBatchRevisions);
  if (s->batch_max_bytes() == 0) s->set_batch_max_bytes(kDefaultBatchBytes);
  namespace d = defaults;
  if (s->backoff_initial_ms() == 0) {
    s->set_backoff_initial_ms(absl::ToInt64Milliseconds(d::kBackoffInitial));
  }
  if (s->backoff_max_ms() == 0) s->set_backoff_max_ms(absl::ToInt64Milliseconds(d::kBackoffMax));
  if (s->heartbeat_seconds() == 0) s->set_heartbeat_seconds(absl::ToInt64Seconds(d::kHeartbeat));
  if (s->pull_deadline_seconds() == 0) {
    s->set_pull_deadline_seconds(absl::ToInt64Seconds(d::kPullDeadline));
  }
  if (s->compression().empty()) s->set_compression(std::string(d::kCompression));
  v1::ServeOptions* serve = c->mutable_serve();
  if (serve->max_pulls_per_peer() == 0) serve->set_max_pulls_per_peer(d::kMaxPullsPerPeer);
  if (serve->max_pulls() == 0) serve->set_max_pulls(d::kMaxPulls);
  if (serve->max_chunk_calls_per_peer() == 0) {
    serve->set_max_chunk_calls_per_peer(d::kMaxChunkCallsPerPeer);
  }
  if (serve->max_chunk_calls() == 0) serve->set_max_chunk_calls(d::kMaxChunkCalls);
  if (serve->max_pull_seconds() == 0)
    serve->set_max_pull_seconds(absl::ToInt64Seconds(d::kMaxPullAge));
  if (serve->compression_level() == 0) serve->set_compression_level(d::kCompressionLevel);
  v1::StoreOptions* store = c->mutable_store();
  if (store->disk_reserve_mb() == 0) store->set_disk_reserve_mb(d::kDiskReserveMb);
  v1::InterlockOptions* interlock = c->mutable_interlock();
  if (interlock->share_percent() == 0) interlock->set_share_percent(d::kInterlockSharePercent);
  if (interlock->min_materials() == 0) interlock->set_min_materials(d::kInterlockMinMaterials);
  if (interlock->window_minutes() == 0) interlock->set_window_minutes(d::kInterlockWindowMinutes);
  if (interlock->grace_hours() == 0) interlock->set_grace_hours(d::kInterlockGraceHours);
  if (c->http().has_oai()) {
    v1::OaiOptions* oai = c->mutable_http()->mutable_oai();
    if (oai->repository_name().empty()) {
      oai->set_repository_name(absl::StrCat("Minga node ", c->org_id()));
    }
    if (oai->repository_identifier().empty()) {
      oai->set_repository_identifier(absl::StrCat(c->org_id(), ".minga"));
    }
  }
}

absl::Status ValidateFederationFile(const v1::FederationFile& f) {
  std::set<std::string> seen;
  if (f.members().empty()) return Invalid("members", "at least one member required");
  for (int i = 0; i < f.members_size(); ++i) {
    const v1::Member& m = f.members(i);
    const std::string field = absl::StrCat("members[", i, "]");
    RETURN_IF_ERROR(CheckOrgId(m.org_id(), field + ".org_id"));
    if (!seen.insert(m.org_id()).second) {
      return Invalid(field + ".org_id", absl::StrCat("'", m.org_id(), "' is listed twice"));
    }
    absl::StatusOr<PublicKey> key = PublicKey::FromBase64(m.signing_public_key());
    if (!key.ok()) {
      return Invalid(field + ".signing_public_key",
                     absl::StrCat(key.status().message(),
                                  " (expected 32 bytes in base64, as `minga-node --init` prints)"));
    }
    for (int j = 0; j < m.addresses_size(); ++j) {
      RETURN_IF_ERROR(CheckHostPort(absl::StrCat(field, ".addresses[", j, "]"), m.addresses(j)));
    }
    for (int j = 0; j < m.retired_keys_size(); ++j) {
      const v1::RetiredKey& r = m.retired_keys(j);
      const std::string rf = absl::StrCat(field, ".retired_keys[", j, "]");
      absl::StatusOr<PublicKey> old = PublicKey::FromBase64(r.public_key());
      if (!old.ok()) {
        return Invalid(rf + ".public_key",
                       absl::StrCat(old.status().message(), " (32 bytes in base64)"));
      }
      if (r.public_key() == m.signing_public_key()) {
        return Invalid(rf + ".public_key", "is the member's current key");
      }
      if (r.retired_from_version() == 0) {
        return Invalid(rf + ".retired_from_version",
                       "required: the first version the key no longer vouches for");
      }
    }
  }
  return absl::OkStatus();
}

namespace {

// A domain name as OAI-PMH's oai-identifier scheme has it: parts of
// letters, digits and '-', each starting with a letter, at least two.
bool IsOaiRepositoryIdentifier(absl::string_view s) {
  const std::vector<absl::string_view> parts = absl::StrSplit(s, '.');
  if (parts.size() < 2) return false;
  for (absl::string_view part : parts) {
    if (part.empty() || !absl::ascii_isalpha(part[0])) return false;
    for (char ch : part) {
      if (!absl::ascii_isalnum(ch) && ch != '-') return false;
    }
  }
  return true;
}

// http.oai { ... }: off, or whole (after the defaults).
absl::Status CheckOai(const v1::HttpOptions& http) {
  if (!http.has_oai()) return absl::OkStatus();
  const v1::OaiOptions& oai = http.oai();
  if (http.listen().empty()) return Invalid("http.oai", "needs http.listen to serve /oai");
  const std::string& email = oai.admin_email();
  if (email.empty() || email.find('@') == std::string::npos ||
      email.find_first_of(" <>\"") != std::string::npos) {
    return Invalid("http.oai.admin_email",
                   absl::StrCat("'", email, "' is not an e-mail address (Identify must give one)"));
  }
  if (oai.repository_name().size() > 200) {
    return Invalid("http.oai.repository_name", "longer than 200 characters");
  }
  if (!IsOaiRepositoryIdentifier(oai.repository_identifier())) {
    return Invalid("http.oai.repository_identifier",
                   absl::StrCat("'", oai.repository_identifier(),
                                "' is not a domain name (parts starting with a letter, "
                                "joined by '.')"));
  }
  const std::string& base = oai.base_url();
  if (!base.empty() && !absl::StartsWith(base, "http://") && !absl::StartsWith(base, "https://")) {
    return Invalid("http.oai.base_url", absl::StrCat("'", base, "' is not an http(s) URL"));
  }
  return absl::OkStatus();
}

// http { ... }: off, or a listener that is HTTPS unless on loopback.
absl::Status CheckHttp(const v1::NodeConfig& c) {
  const std::string& listen = c.http().listen();
  if (listen.empty()) return CheckOai(c.http());
  RETURN_IF_ERROR(CheckHostPort("http.listen", listen));
  if (!IsLoopbackAddress(listen) && !c.has_tls()) {
    return Invalid("http.listen",
                   absl::StrCat("'", listen,
                                "' is not loopback, so it serves HTTPS and needs tls.cert_file and "
                                "tls.key_file"));
  }
  for (const std::string& other : {c.listen(), c.admin_listen()}) {
    if (listen == other)
      return Invalid("http.listen", absl::StrCat("'", listen, "' is taken by another listener"));
  }
  return CheckOai(c.http());
}

}  // namespace

absl::Status ValidateNodeConfig(const v1::NodeConfig& c, const v1::FederationFile& f) {
  RETURN_IF_ERROR(CheckOrgId(c.org_id(), "org_id"));
  if (!c.listen().empty()) RETURN_IF_ERROR(CheckHostPort("listen", c.listen()));
  if (c.admin_socket().size() > 100) {
    return Invalid("admin_socket", "longer than the 100 bytes a unix socket path may have");
  }
  const bool tls = c.has_tls();
  if (tls) {
    RETURN_IF_ERROR(CheckReadable("tls.ca_file", c.tls().ca_file()));
    RETURN_IF_ERROR(CheckReadable("tls.cert_file", c.tls().cert_file()));
    RETURN_IF_ERROR(CheckReadable("tls.key_file", c.tls().key_file()));
  } else {
    if (!c.allow_plaintext_loopback()) {
      return Invalid("tls", "required (or set allow_plaintext_loopback for a loopback-only demo)");
    }
    if (!c.listen().empty() && !IsLoopbackAddress(c.listen())) {
      return Invalid("listen", absl::StrCat("'", c.listen(),
                                            "' is not loopback; without TLS a node may only "
                                            "listen on 127.0.0.1, localhost or [::1]"));
    }
  }
  std::set<std::string> members;
  for (const v1::Member& m : f.members()) members.insert(m.org_id());
  std::set<std::string> peers;
  for (int i = 0; i < c.peers_size(); ++i) {
    const v1::PeerConfig& p = c.peers(i);
    const std::string field = absl::StrCat("peers[", i, "]");
    RETURN_IF_ERROR(CheckOrgId(p.org_id(), field + ".org_id"));
    if (p.org_id() == c.org_id()) return Invalid(field + ".org_id", "is this node itself");
    if (!members.count(p.org_id())) {
      return Invalid(field + ".org_id",
                     absl::StrCat("'", p.org_id(), "' is not a member of the federation file"));
    }
    if (!peers.insert(p.org_id()).second) {
      return Invalid(field + ".org_id", absl::StrCat("'", p.org_id(), "' is listed twice"));
    }
    if (p.address().empty()) {
      return Invalid(field + ".address", "required (the federation file lists no address for it)");
    }
    RETURN_IF_ERROR(CheckHostPort(field + ".address", p.address()));
    if (!tls && !IsLoopbackAddress(p.address())) {
      return Invalid(field + ".address", "without TLS only loopback peers are allowed");
    }
    RETURN_IF_ERROR(ValidateSubscription(p.subscription(), field + ".subscription"));
    // Below 16 KiB/s one 1 MiB chunk outlasts a minute and its call.
    if (const uint32_t kib = p.max_file_kib_per_second();
        kib != 0 && (kib < 16 || kib > (10u << 20))) {
      return Invalid(field + ".max_file_kib_per_second",
                     absl::StrCat(kib, " is not 0 (no limit) or 16 to 10485760 KiB a second"));
    }
  }
  if (!c.admin_listen().empty()) {
    RETURN_IF_ERROR(CheckHostPort("admin_listen", c.admin_listen()));
    if (!tls) return Invalid("admin_listen", "needs tls: remote administration is never plaintext");
    if (c.admin_listen() == c.listen()) {
      return Invalid("admin_listen", "must differ from listen (the federation listener)");
    }
    if (c.admin_token_sha256().empty()) {
      return Invalid("admin_token_sha256", "at least one is required with admin_listen");
    }
  }
  for (int i = 0; i < c.admin_token_sha256_size(); ++i) {
    const std::string& h = c.admin_token_sha256(i);
    if (h.size() != 64 || !std::all_of(h.begin(), h.end(), [](char ch) {
          return absl::ascii_isxdigit(static_cast<unsigned char>(ch));
        })) {
      return Invalid(absl::StrCat("admin_token_sha256[", i, "]"),
                     "must be 64 hex digits (the SHA-256 of a token)");
    }
  }
  RETURN_IF_ERROR(CheckHttp(c));
  const v1::SyncOptions& s = c.sync();
  if (s.batch_max_revisions() > kMaxBatchRevisions) {
    return Invalid("sync.batch_max_revisions", absl::StrCat("at most ", kMaxBatchRevisions));
  }
  if (s.batch_max_bytes() > kMaxBatchBytes) {
    return Invalid("sync.batch_max_bytes", absl::StrCat("at most ", kMaxBatchBytes));
  }
  if (s.backoff_initial_ms() > s.backoff_max_ms()) {
    return Invalid("sync.backoff_initial_ms", "is above backoff_max_ms");
  }
  if (s.verify_threads() > 256) return Invalid("sync.verify_threads", "at most 256");
  if (s.compression() != "zstd" && s.compression() != "gzip" && s.compression() != "none") {
    return Invalid("sync.compression",
                   absl::StrCat("'", s.compression(), "' is not zstd, gzip or none"));
  }
  const v1::ServeOptions& serve = c.serve();
  if (serve.max_pulls_per_peer() > serve.max_pulls()) {
    return Invalid("serve.max_pulls_per_peer", "is above serve.max_pulls");
  }
  if (serve.max_pulls() > 1024) return Invalid("serve.max_pulls", "at most 1024");
  if (serve.max_chunk_calls_per_peer() > serve.max_chunk_calls()) {
    return Invalid("serve.max_chunk_calls_per_peer", "is above serve.max_chunk_calls");
  }
  if (serve.max_chunk_calls() > 1024) return Invalid("serve.max_chunk_calls", "at most 1024");
  if (serve.max_pull_seconds() < 10 || serve.max_pull_seconds() > 3600) {
    return Invalid("serve.max_pull_seconds", "must be 10 to 3600");
  }
  if (serve.compression_level() > 19) return Invalid("serve.compression_level", "must be 1 to 19");
  if (c.store().disk_reserve_mb() < 16 || c.store().disk_reserve_mb() > 1048576) {
    return Invalid("store.disk_reserve_mb", "must be 16 to 1048576 (MiB)");
  }
  const v1::InterlockOptions& interlock = c.interlock();
  if (interlock.share_percent() > 100) {
    return Invalid("interlock.share_percent", "must be 1 to 100");
  }
  if (interlock.window_minutes() > 10080) {
    return Invalid("interlock.window_minutes", "must be 1 to 10080 (a week)");
  }
  if (interlock.grace_hours() > 8760) {
    return Invalid("interlock.grace_hours", "must be 1 to 8760 (a year)");
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::FederationFile> LoadFederationFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxSmallFileBytes));
  ASSIGN_OR_RETURN(v1::FederationFile f, ParseFederationFile(text, path));
  absl::Status valid = ValidateFederationFile(f);
  if (!valid.ok()) return Invalid(path, valid.message());
  return f;
}

absl::StatusOr<v1::NodeConfig> LoadNodeConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, kMaxSmallFileBytes));
  ASSIGN_OR_RETURN(v1::NodeConfig config, ParseNodeConfig(text, path));
  ApplyDefaults(&config, std::filesystem::path(path).parent_path().string());
  return config;
}

absl::StatusOr<v1::FederationFile> ResolveFederation(v1::NodeConfig* config_ptr,
                                                     const PublicKey& own_key) {
  const v1::NodeConfig& config = *config_ptr;
  v1::FederationFile f;
  if (config.federation_file().empty()) {
    v1::Member* self = f.add_members();
    self->set_org_id(config.org_id());
    self->set_signing_public_key(own_key.ToBase64());
    if (!config.listen().empty()) self->add_addresses(config.listen());
  } else {
    ASSIGN_OR_RETURN(f, LoadFederationFile(config.federation_file()));
  }
  const v1::Member* self = nullptr;
  for (const v1::Member& m : f.members()) {
    if (m.org_id() == config.org_id()) self = &m;
  }
  if (self == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        config.federation_file(), ": this node's org '", config.org_id(), "' is not a member"));
  }
  if (self->signing_public_key() != own_key.ToBase64()) {
    return absl::FailedPreconditionError(
        absl::StrCat(config.federation_file(), ": the key listed for '", config.org_id(),
                     "' is not this node's signing key ", own_key.ToBase64()));
  }
  // Peers without an address take the member's first listed one.
  for (v1::PeerConfig& p : *config_ptr->mutable_peers()) {
    for (const v1::Member& m : f.members()) {
      if (m.org_id() == p.org_id() && p.address().empty() && !m.addresses().empty()) {
        p.set_address(m.addresses(0));
      }
    }
  }
  absl::Status valid = ValidateNodeConfig(config, f);
  if (!valid.ok()) return valid;
  return f;
}

Keyring KeyringOf(const v1::FederationFile& federation) {
  std::map<std::string, MemberKeys, std::less<>> members;
  for (const v1::Member& m : federation.members()) {
    absl::StatusOr<PublicKey> key = PublicKey::FromBase64(m.signing_public_key());
    if (!key.ok()) continue;  // ValidateFederationFile refused it already
    MemberKeys keys{*key, {}};
    for (const v1::RetiredKey& r : m.retired_keys()) {
      absl::StatusOr<PublicKey> old = PublicKey::FromBase64(r.public_key());
      if (old.ok()) keys.retired.push_back({*old, r.retired_from_version()});
    }
    members.emplace(m.org_id(), std::move(keys));
  }
  return Keyring(std::move(members));
}

}  // namespace minga
