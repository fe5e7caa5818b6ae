#include "node/net/credentials.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "node/core/crypto.h"
#include "node/core/limits.h"
#include "node/core/read_file.h"
#include "node/core/status_macros.h"

namespace minga {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& field, const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFileToString(path, kMaxSmallFileBytes);
  if (!pem.ok())
    return absl::Status(pem.status().code(), absl::StrCat(field, ": ", pem.status().message()));
  if (pem->find("-----BEGIN") == std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": '", path, "' is not a PEM file"));
  }
  return pem;
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> FederationServerCredentials(
    const v1::NodeConfig& config) {
  if (!config.has_tls()) return grpc::InsecureServerCredentials();
  ASSIGN_OR_RETURN(std::string ca, ReadPem("tls.ca_file", config.tls().ca_file()));
  ASSIGN_OR_RETURN(std::string cert, ReadPem("tls.cert_file", config.tls().cert_file()));
  ASSIGN_OR_RETURN(std::string key, ReadPem("tls.key_file", config.tls().key_file()));
  grpc::SslServerCredentialsOptions options(
      GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_root_certs = ca;
  options.pem_key_cert_pairs.push_back({key, cert});
  return grpc::SslServerCredentials(options);
}

namespace {

class AdminTokenCheck : public grpc::AuthMetadataProcessor {
 public:
  explicit AdminTokenCheck(std::vector<std::string> hashes) : hashes_(std::move(hashes)) {}
  bool IsBlocking() const override { return false; }
  grpc::Status Process(const InputMetadata& metadata, grpc::AuthContext*, OutputMetadata* consumed,
                       OutputMetadata*) override {
    auto it = metadata.find("authorization");
    if (it == metadata.end()) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "an admin token is required (authorization: Bearer <token>)");
    }
    const std::string value(it->second.data(), it->second.size());
    constexpr absl::string_view kBearer = "Bearer ";
    if (!absl::StartsWith(value, kBearer)) {
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          "authorization: expected Bearer <token>");
    }
    const std::string hash = DigestToHex(Sha256(absl::string_view(value).substr(kBearer.size())));
    // Compare every hash in full: no early exit on the first differing byte.
    bool ok = false;
    for (const std::string& h : hashes_) {
      unsigned diff = h.size() ^ hash.size();
      for (size_t i = 0; i < std::min(h.size(), hash.size()); ++i) diff |= h[i] ^ hash[i];
      ok |= diff == 0;
    }
    if (!ok)
      return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "the admin token is not accepted");
    consumed->insert(std::make_pair(std::string(it->first.data(), it->first.size()), value));
    return grpc::Status::OK;
  }

 private:
  const std::vector<std::string> hashes_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> RemoteAdminCredentials(
    const v1::NodeConfig& config) {
  if (!config.has_tls()) return absl::InvalidArgumentError("admin_listen: needs tls");
  ASSIGN_OR_RETURN(std::string cert, ReadPem("tls.cert_file", config.tls().cert_file()));
  ASSIGN_OR_RETURN(std::string key, ReadPem("tls.key_file", config.tls().key_file()));
  grpc::SslServerCredentialsOptions options(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({key, cert});
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::SslServerCredentials(options);
  std::vector<std::string> hashes;
  for (const std::string& h : config.admin_token_sha256())
    hashes.push_back(absl::AsciiStrToLower(h));
  credentials->SetAuthMetadataProcessor(std::make_shared<AdminTokenCheck>(std::move(hashes)));
  return credentials;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> FederationChannelCredentials(
    const v1::NodeConfig& config) {
  if (!config.has_tls()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  ASSIGN_OR_RETURN(options.pem_root_certs, ReadPem("tls.ca_file", config.tls().ca_file()));
  ASSIGN_OR_RETURN(options.pem_cert_chain, ReadPem("tls.cert_file", config.tls().cert_file()));
  ASSIGN_OR_RETURN(options.pem_private_key, ReadPem("tls.key_file", config.tls().key_file()));
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> FederationChannel(
    const std::string& address, const std::string& peer_org,
    const std::shared_ptr<grpc::ChannelCredentials>& credentials, int lane) {
  grpc::ChannelArguments args;
  // gRPC shares a connection between channels whose arguments are equal.
  if (lane != 0) args.SetInt("minga.lane", lane);
  args.SetSslTargetNameOverride(peer_org);
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  // Notice a dead link between heartbeats, and keep NAT state alive: a
  // ping every 30 s, even while a following pull carries no data (the
  // server allows one every 20 s; see FederationServerArguments).
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 500);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 10000);
  return grpc::CreateCustomChannel(address, credentials, args);
}

absl::StatusOr<std::string> CallerOrg(const grpc::ServerContextBase& context, bool plaintext) {
  if (plaintext) {
    const auto& md = context.client_metadata();
    auto it = md.find(kOrgMetadataKey);
    if (it == md.end()) {
      return absl::UnauthenticatedError(
          "no minga-org metadata: a plaintext caller must name its org");
    }
    return std::string(it->second.data(), it->second.size());
  }
  std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) {
    return absl::UnauthenticatedError("no verified client certificate");
  }
  std::vector<grpc::string_ref> names = auth->FindPropertyValues("x509_common_name");
  if (names.size() != 1) {
    return absl::UnauthenticatedError("the client certificate has no single common name");
  }
  std::string org(names[0].data(), names[0].size());
  // A node also names itself; a certificate of one org used by a node that
  // believes it is another is a misconfiguration or an impersonation.
  const auto& md = context.client_metadata();
  if (auto it = md.find(kOrgMetadataKey); it != md.end()) {
    const std::string claimed(it->second.data(), it->second.size());
    if (claimed != org) {
      return absl::PermissionDeniedError(absl::StrCat(
          "the client certificate names '", org, "' but the caller claims to be '", claimed, "'"));
    }
  }
  return org;
}

}  // namespace minga
