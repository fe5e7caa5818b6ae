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
#include "node/config/config_internal.h"
#include "node/core/defaults.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/read_file.h"
#include "node/core/status_macros.h"
#include "node/core/subscription.h"

namespace minga {

using config_internal::Invalid;

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
