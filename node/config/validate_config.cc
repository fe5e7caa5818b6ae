// Validation of a node's config and its federation file: every field
// checked, each error naming the field and the reason.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/config/config.h"
#include "node/config/config_internal.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/status_macros.h"
#include "node/core/subscription.h"

namespace minga {
namespace config_internal {

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

}  // namespace config_internal

using config_internal::CheckHostPort;
using config_internal::CheckReadable;
using config_internal::Invalid;

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

absl::Status CheckTransport(const v1::NodeConfig& c) {
  if (c.has_tls()) {
    RETURN_IF_ERROR(CheckReadable("tls.ca_file", c.tls().ca_file()));
    RETURN_IF_ERROR(CheckReadable("tls.cert_file", c.tls().cert_file()));
    return CheckReadable("tls.key_file", c.tls().key_file());
  }
  if (!c.allow_plaintext_loopback()) {
    return Invalid("tls", "required (or set allow_plaintext_loopback for a loopback-only demo)");
  }
  if (!c.listen().empty() && !IsLoopbackAddress(c.listen())) {
    return Invalid("listen", absl::StrCat("'", c.listen(),
                                          "' is not loopback; without TLS a node may only "
                                          "listen on 127.0.0.1, localhost or [::1]"));
  }
  return absl::OkStatus();
}

absl::Status CheckPeer(const v1::NodeConfig& c, const v1::PeerConfig& p, const std::string& field,
                       const std::set<std::string>& members) {
  RETURN_IF_ERROR(CheckOrgId(p.org_id(), field + ".org_id"));
  if (p.org_id() == c.org_id()) return Invalid(field + ".org_id", "is this node itself");
  if (!members.count(p.org_id())) {
    return Invalid(field + ".org_id",
                   absl::StrCat("'", p.org_id(), "' is not a member of the federation file"));
  }
  if (p.address().empty()) {
    return Invalid(field + ".address", "required (the federation file lists no address for it)");
  }
  RETURN_IF_ERROR(CheckHostPort(field + ".address", p.address()));
  if (!c.has_tls() && !IsLoopbackAddress(p.address())) {
    return Invalid(field + ".address", "without TLS only loopback peers are allowed");
  }
  RETURN_IF_ERROR(ValidateSubscription(p.subscription(), field + ".subscription"));
  // Below 16 KiB/s one 1 MiB chunk outlasts a minute and its call.
  if (const uint32_t kib = p.max_file_kib_per_second();
      kib != 0 && (kib < 16 || kib > (10u << 20))) {
    return Invalid(field + ".max_file_kib_per_second",
                   absl::StrCat(kib, " is not 0 (no limit) or 16 to 10485760 KiB a second"));
  }
  return absl::OkStatus();
}

absl::Status CheckPeers(const v1::NodeConfig& c, const v1::FederationFile& f) {
  std::set<std::string> members;
  for (const v1::Member& m : f.members()) members.insert(m.org_id());
  std::set<std::string> peers;
  for (int i = 0; i < c.peers_size(); ++i) {
    const v1::PeerConfig& p = c.peers(i);
    const std::string field = absl::StrCat("peers[", i, "]");
    RETURN_IF_ERROR(CheckPeer(c, p, field, members));
    if (!peers.insert(p.org_id()).second) {
      return Invalid(field + ".org_id", absl::StrCat("'", p.org_id(), "' is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckAdmin(const v1::NodeConfig& c) {
  if (!c.admin_listen().empty()) {
    RETURN_IF_ERROR(CheckHostPort("admin_listen", c.admin_listen()));
    if (!c.has_tls()) {
      return Invalid("admin_listen", "needs tls: remote administration is never plaintext");
    }
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
  return absl::OkStatus();
}

absl::Status CheckSyncAndServe(const v1::SyncOptions& s, const v1::ServeOptions& serve) {
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
  return absl::OkStatus();
}

absl::Status CheckStoreAndInterlock(const v1::NodeConfig& c) {
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

}  // namespace

// Checks in the order an operator reads the config: identity and
// listeners, transport, peers, administration, HTTP, then tuning.
absl::Status ValidateNodeConfig(const v1::NodeConfig& c, const v1::FederationFile& f) {
  RETURN_IF_ERROR(CheckOrgId(c.org_id(), "org_id"));
  if (!c.listen().empty()) RETURN_IF_ERROR(CheckHostPort("listen", c.listen()));
  if (c.admin_socket().size() > 100) {
    return Invalid("admin_socket", "longer than the 100 bytes a unix socket path may have");
  }
  RETURN_IF_ERROR(CheckTransport(c));
  RETURN_IF_ERROR(CheckPeers(c, f));
  RETURN_IF_ERROR(CheckAdmin(c));
  RETURN_IF_ERROR(CheckHttp(c));
  RETURN_IF_ERROR(CheckSyncAndServe(c.sync(), c.serve()));
  return CheckStoreAndInterlock(c);
}

}  // namespace minga
