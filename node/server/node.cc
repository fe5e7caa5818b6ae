// A node's start and shutdown: stores, services and servers, each step
// filling Node::Parts, and the shutdown in reverse. Over 400 lines because
// every step reads its part of the config; apart, they would need Parts in
// a header of internals.
#include "node/server/node.h"

#include <grpc/support/log.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/resource_quota.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "node/catalog/catalog.h"
#include "node/config/config.h"
#include "node/core/log.h"
#include "node/core/status_macros.h"
#include "node/core/threads.h"
#include "node/maintenance/purger.h"
#include "node/net/credentials.h"
#include "node/net/grpc_peer_link.h"
#include "node/oai/formats.h"
#include "node/oai/provider.h"
#include "node/search/search_view.h"
#include "node/server/http_listener.h"
#include "node/server/identity.h"
#include "node/server/metrics_page.h"
#include "node/service/admin_service.h"
#include "node/service/catalog_service.h"
#include "node/service/federation_service.h"
#include "node/store/rocks_kv.h"
#include "node/sync/file_fetcher.h"
#include "node/sync/protocol.h"
#include "node/sync/sync_engine.h"

namespace minga {

// Declaration order is construction order; members are destroyed in
// reverse, so servers go before the services and the catalog they use.
struct Node::Parts {
  // A start that failed after the verifier began still waits for it
  // before the store closes.
  ~Parts() {
    if (verifier.joinable()) verifier.join();
  }
  v1::NodeConfig config;
  std::unique_ptr<SigningKey> key;
  std::unique_ptr<Keyring> keyring;
  // Borrowed by the stores and the search view below (declared first, so
  // destroyed last).
  std::unique_ptr<DiskReserve> reserve;
  std::unique_ptr<KvStore> kv;
  std::unique_ptr<ChunkStore> chunks;
  std::unique_ptr<ThreadPoolExecutor> executor;
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<search::SearchView> search;
  std::unique_ptr<Purger> purger;
  // Reads the whole store once after each start to check its checksums, so
  // damage shows in `minga status` and the log before a read meets it.
  std::thread verifier;
  std::unique_ptr<SyncEngine> sync;
  // Admin work that may block: store calls, and long waits (a download
  // fetching from peers, sync --wait).
  std::unique_ptr<TaskQueue> admin_workers;
  std::unique_ptr<TaskQueue> long_workers;
  std::unique_ptr<CatalogService> catalog_service;
  std::unique_ptr<AdminService> admin_service;
  std::unique_ptr<FederationService> federation_service;
  std::unique_ptr<CatalogService> remote_catalog_service;
  std::unique_ptr<grpc::Server> admin_server;
  std::unique_ptr<grpc::Server> remote_admin_server;
  std::unique_ptr<grpc::Server> federation_server;
  int federation_port = 0;
  std::unique_ptr<oai::OaiProvider> oai;
  // Declared after what its pages read, so it stops before they go.
  std::unique_ptr<HttpListener> http;
  absl::Mutex mu;
  bool shut_down ABSL_GUARDED_BY(mu) = false;
};

namespace {

// gRPC's own log lines go through the node's log, so they carry its time,
// level and component format (and JSON with --log-format json).
void LogFromGrpc(gpr_log_func_args* args) {
  LogLevel level = LogLevel::kInfo;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) level = LogLevel::kError;
  if (args->severity == GPR_LOG_SEVERITY_DEBUG) level = LogLevel::kDebug;
  Log(level, "grpc", args->message);
}

// Removes a socket a killed node left, and refuses a path that is not a
// socket (a mistyped admin_socket must not delete a file) or whose
// directory others may write to (they could swap the socket for their own).
absl::Status PrepareAdminSocket(const std::string& socket) {
  struct stat st;
  if (::lstat(socket.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "admin_socket: '", socket, "' exists and is not a socket; refusing to replace it"));
    }
    if (::unlink(socket.c_str()) != 0) {
      return absl::UnavailableError(absl::StrCat("admin_socket: cannot remove the old '", socket,
                                                 "': ", std::strerror(errno)));
    }
  }
  const std::string dir = std::filesystem::path(socket).parent_path().string();
  if (::stat(dir.empty() ? "." : dir.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("admin_socket: its directory '", dir,
                                                      "' cannot be read: ", std::strerror(errno)));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("admin_socket: its directory '", dir.empty() ? "." : dir,
                     "' is writable by other users, who could put their own socket in its place; "
                     "use a directory only this user can write to"));
  }
  return absl::OkStatus();
}

// The admin endpoints: administrators' calls. Most handlers are raw
// callbacks whose work runs on the node's admin queues; the synchronous
// rest (status, peers, reindex, gc) on at most 16 threads.
void ConfigureAdminServer(grpc::ServerBuilder* builder) {
  builder->SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder->SetMaxSendMessageSize(kMaxMessageBytes);
  builder->AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  grpc::ResourceQuota quota("minga-admin");
  quota.SetMaxThreads(16);
  builder->SetResourceQuota(quota);
}

// The federation listener faces members, who may misbehave: small
// requests only, a bounded number of streams a connection, connections
// that idle or live too long closed, keepalive pings answered but not
// floods of them, and a memory quota for the transport. The service's own
// caps bound calls per member (federation_service.h).
void ConfigureFederationServer(grpc::ServerBuilder* builder) {
  builder->SetMaxReceiveMessageSize(kMaxFederationRequestBytes);
  builder->SetMaxSendMessageSize(kMaxMessageBytes);
  builder->AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, 16);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, 5 * 60 * 1000);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 60 * 60 * 1000);
  builder->AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 10 * 60 * 1000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, 60 * 1000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 20 * 1000);
  builder->AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 20 * 1000);
  builder->AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  grpc::ResourceQuota quota("minga-federation");
  quota.Resize(256 << 20);
  builder->SetResourceQuota(quota);
}

// When who the members are, or their keys, change, every peer's checkpoint
// restarts: revisions skipped for an unknown origin come again, and those
// purged for a retired key are replaced by the valid ones.
void AddPeers(const v1::NodeConfig& config, const Keyring& keyring,
              const std::shared_ptr<grpc::ChannelCredentials>& credentials, SyncEngine* sync) {
  const std::string members = keyring.Fingerprint().substr(0, 16);
  const v1::SyncOptions& s = config.sync();
  for (const v1::PeerConfig& peer : config.peers()) {
    PullerOptions o;
    o.peer = peer.org_id();
    o.address = peer.address();
    o.subscription = peer.subscription();
    o.fingerprint = PullFingerprint(peer.subscription(), members);
    o.batch_max_revisions = s.batch_max_revisions();
    o.batch_max_bytes = s.batch_max_bytes();
    o.backoff_initial = absl::Milliseconds(s.backoff_initial_ms());
    o.backoff_max = absl::Milliseconds(s.backoff_max_ms());
    o.heartbeat = absl::Seconds(s.heartbeat_seconds());
    o.pull_deadline = absl::Seconds(s.pull_deadline_seconds());
    o.compression = s.compression() == "none" ? "" : s.compression();
    auto channel = FederationChannel(peer.address(), peer.org_id(), credentials);
    // A connection for each chunk call the fetcher keeps in flight, beside
    // the one for hellos and pulls (docs/performance.md, files).
    std::vector<std::shared_ptr<grpc::Channel>> chunk_channels;
    for (int lane = 1; lane <= FetcherOptions().parallel_calls; ++lane) {
      chunk_channels.push_back(FederationChannel(peer.address(), peer.org_id(), credentials, lane));
    }
    sync->AddPeer(std::shared_ptr<PeerLink>(
                      MakeGrpcPeerLink(channel, config.org_id(), std::move(chunk_channels))),
                  std::move(o), uint64_t{peer.max_file_kib_per_second()} << 10);
  }
}

}  // namespace

Node::Node(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

Node::~Node() { Shutdown(); }

absl::StatusOr<std::unique_ptr<Node>> Node::Start(v1::NodeConfig config) {
  RETURN_IF_ERROR(InitCrypto());
  gpr_set_log_function(LogFromGrpc);
  auto parts = std::make_unique<Parts>();
  RETURN_IF_ERROR(EnsureDataDir(config.data_dir()));
  ASSIGN_OR_RETURN(SigningKey key, LoadOrCreateSigningKey(config.data_dir()));
  parts->key = std::make_unique<SigningKey>(std::move(key));
  ASSIGN_OR_RETURN(v1::FederationFile federation,
                   ResolveFederation(&config, parts->key->public_key()));
  parts->keyring = std::make_unique<Keyring>(KeyringOf(federation));
  parts->config = config;

  RETURN_IF_ERROR(OpenStores(config, parts.get()));
  RETURN_IF_ERROR(MakeServices(config, parts.get()));
  // Pulling and fetching run before the servers take calls that use them.
  parts->sync->Start();
  RETURN_IF_ERROR(StartServers(config, parts.get()));
  std::string metrics;
  if (!config.http().listen().empty()) {
    metrics =
        absl::StrCat(", metrics ", IsLoopbackAddress(config.http().listen()) ? "http" : "https",
                     "://", config.http().listen(), "/metrics");
    if (config.http().has_oai()) absl::StrAppend(&metrics, ", OAI-PMH at /oai");
  }
  LogInfo("node",
          absl::StrCat("node '", config.org_id(), "' started: admin unix:", config.admin_socket(),
                       config.listen().empty() ? "" : ", federation ", config.listen(),
                       config.has_tls() ? " (mutual TLS)" : " (plaintext, loopback)",
                       config.admin_listen().empty() ? "" : ", remote admin ",
                       config.admin_listen(), metrics, ", ", config.peers_size(),
                       " peer(s), store ", StorePath(config.data_dir())),
          {{"org", config.org_id()}, {"version", MINGA_VERSION}, {"peers", config.peers_size()}});
  return std::unique_ptr<Node>(new Node(std::move(parts)));
}

absl::Status Node::OpenStores(const v1::NodeConfig& config, Parts* parts) {
  parts->reserve = std::make_unique<DiskReserve>(config.data_dir(),
                                                 uint64_t{config.store().disk_reserve_mb()} << 20);
  RocksKvOptions kv_options;
  kv_options.path = StorePath(config.data_dir());
  kv_options.reserve = parts->reserve.get();
  ASSIGN_OR_RETURN(parts->kv, OpenRocksKv(kv_options));
  ASSIGN_OR_RETURN(parts->chunks,
                   OpenFileChunkStore(ChunksPath(config.data_dir()), parts->reserve.get()));

  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int verifiers =
      config.sync().verify_threads() > 0 ? static_cast<int>(config.sync().verify_threads()) : cores;
  parts->executor = std::make_unique<ThreadPoolExecutor>(verifiers - 1);

  CatalogOptions catalog_options;
  catalog_options.org_id = config.org_id();
  catalog_options.signing_key = parts->key.get();
  catalog_options.keyring = parts->keyring.get();
  catalog_options.executor = parts->executor.get();
  catalog_options.chunks = parts->chunks.get();
  const v1::InterlockOptions& interlock = config.interlock();
  catalog_options.interlock.enabled = !interlock.disabled();
  catalog_options.interlock.share_percent = interlock.share_percent();
  catalog_options.interlock.min_materials = interlock.min_materials();
  catalog_options.interlock.window = absl::Minutes(interlock.window_minutes());
  catalog_options.interlock.grace = absl::Hours(interlock.grace_hours());
  ASSIGN_OR_RETURN(parts->catalog, Catalog::Open(parts->kv.get(), catalog_options));
  // The federation file may have changed since the last start: what it no
  // longer vouches for goes before anything is served.
  ASSIGN_OR_RETURN(const size_t purged, parts->catalog->ReconcileMembership());
  if (purged > 0) {
    LogWarning("node",
               absl::StrCat("federation: ", purged,
                            " materials of removed members or retired keys were purged"),
               {{"materials", purged}});
  }
  search::SearchViewOptions search_options;
  search_options.dir = SearchPath(config.data_dir());
  search_options.catalog = parts->catalog.get();
  search_options.reserve = parts->reserve.get();
  ASSIGN_OR_RETURN(parts->search, search::SearchView::Open(search_options));
  parts->search->Start();
  parts->purger = std::make_unique<Purger>(parts->kv.get(), parts->catalog.get(),
                                           parts->search.get(), PurgerOptions());
  parts->verifier = std::thread([kv = parts->kv.get()] {
    NameThisThread("store-verify");
    LowerThisThreadsPriority();
    absl::Status verified = kv->VerifyChecksums();  // damage is logged by the store
    if (verified.ok()) LogInfo("node", "store: every checksum verified");
  });

  return absl::OkStatus();
}

absl::Status Node::MakeServices(const v1::NodeConfig& config, Parts* parts) {
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ChannelCredentials> channel_credentials,
                   FederationChannelCredentials(config));
  parts->sync = std::make_unique<SyncEngine>(parts->catalog.get(), SystemClock());
  AddPeers(config, *parts->keyring, channel_credentials, parts->sync.get());

  parts->admin_workers = std::make_unique<TaskQueue>(4);
  parts->long_workers = std::make_unique<TaskQueue>(4);
  CatalogServiceDeps deps{parts->catalog.get(), parts->sync.get(), parts->search.get(),
                          parts->admin_workers.get(), parts->long_workers.get()};
  parts->catalog_service = std::make_unique<CatalogService>(deps, "admin");
  if (!config.admin_listen().empty()) {
    // Changes made remotely are recorded as such.
    parts->remote_catalog_service = std::make_unique<CatalogService>(deps, "admin@remote");
  }
  parts->admin_service =
      std::make_unique<AdminService>(parts->catalog.get(), parts->sync.get(), parts->search.get(),
                                     parts->purger.get(), parts->long_workers.get());
  FederationServiceOptions federation_options;
  federation_options.plaintext = !config.has_tls();
  federation_options.limits.heartbeat = absl::Seconds(config.sync().heartbeat_seconds());
  federation_options.limits.max_age = absl::Seconds(config.serve().max_pull_seconds());
  federation_options.max_pulls_per_peer = static_cast<int>(config.serve().max_pulls_per_peer());
  federation_options.max_pulls = static_cast<int>(config.serve().max_pulls());
  federation_options.max_chunk_calls_per_peer =
      static_cast<int>(config.serve().max_chunk_calls_per_peer());
  federation_options.max_chunk_calls = static_cast<int>(config.serve().max_chunk_calls());
  federation_options.compression_level = static_cast<int>(config.serve().compression_level());
  parts->federation_service =
      std::make_unique<FederationService>(parts->catalog.get(), federation_options);

  return absl::OkStatus();
}

absl::Status Node::StartHttp(const v1::NodeConfig& config, Parts* parts) {
  if (config.http().listen().empty()) return absl::OkStatus();
  HttpListenerOptions http;
  http.listen = config.http().listen();
  if (!IsLoopbackAddress(http.listen)) {
    http.cert_file = config.tls().cert_file();
    http.key_file = config.tls().key_file();
  }
  MetricsSources sources{parts->catalog.get(), parts->search.get(), parts->sync.get(),
                         parts->federation_service.get()};
  http.metrics = [sources] { return RenderMetrics(sources); };
  if (config.http().has_oai()) {
    const v1::OaiOptions& o = config.http().oai();
    parts->oai = std::make_unique<oai::OaiProvider>(
        parts->catalog.get(),
        oai::OaiSettings{o.repository_name(), o.admin_email(), o.repository_identifier()},
        SystemClock());
    http.oai = [provider = parts->oai.get()](const oai::OaiArgs& args,
                                             const std::string& base_url) {
      return provider->Handle(args, base_url);
    };
    http.oai_base_url = o.base_url();
    http.oai_schema = std::string(oai::MingaSchema());
  }
  ASSIGN_OR_RETURN(parts->http, HttpListener::Start(std::move(http)));
  return absl::OkStatus();
}

absl::Status Node::StartAdminServers(const v1::NodeConfig& config, Parts* parts) {
  // Admin endpoint. A socket left by a killed node is removed; the store's
  // lock (OpenStores) guarantees no live node of this data directory owns it.
  const std::string& socket = config.admin_socket();
  RETURN_IF_ERROR(PrepareAdminSocket(socket));
  {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket, grpc::InsecureServerCredentials());
    builder.RegisterService(parts->catalog_service.get());
    builder.RegisterService(parts->admin_service.get());
    ConfigureAdminServer(&builder);
    parts->admin_server = builder.BuildAndStart();
    if (parts->admin_server == nullptr) {
      return absl::UnavailableError(absl::StrCat("admin_socket: cannot listen on '", socket, "'"));
    }
    // Whoever can connect is an administrator: owner only. The process
    // umask (077 in minga-node) already made it so; this also covers a
    // caller with another umask, and a failure stops the node.
    if (::chmod(socket.c_str(), 0600) != 0) {
      const std::string error = std::strerror(errno);
      parts->admin_server->Shutdown();
      return absl::UnavailableError(
          absl::StrCat("admin_socket: cannot make '", socket, "' owner-only: ", error));
    }
  }
  if (!config.admin_listen().empty()) {
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> admin_credentials,
                     RemoteAdminCredentials(config));
    grpc::ServerBuilder builder;
    builder.AddListeningPort(config.admin_listen(), admin_credentials);
    builder.RegisterService(parts->remote_catalog_service.get());
    builder.RegisterService(parts->admin_service.get());
    ConfigureAdminServer(&builder);
    parts->remote_admin_server = builder.BuildAndStart();
    if (parts->remote_admin_server == nullptr) {
      parts->admin_server->Shutdown();
      return absl::UnavailableError(absl::StrCat("admin_listen: cannot listen on '",
                                                 config.admin_listen(), "' (is the port in use?)"));
    }
  }
  return absl::OkStatus();
}

absl::Status Node::StartServers(const v1::NodeConfig& config, Parts* parts) {
  RETURN_IF_ERROR(StartHttp(config, parts));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  RETURN_IF_ERROR(StartAdminServers(config, parts));
  if (!config.listen().empty()) {
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> server_credentials,
                     FederationServerCredentials(config));
    grpc::ServerBuilder builder;
    builder.AddListeningPort(config.listen(), server_credentials, &parts->federation_port);
    builder.RegisterService(parts->federation_service.get());
    ConfigureFederationServer(&builder);
    parts->federation_server = builder.BuildAndStart();
    if (parts->federation_server == nullptr || parts->federation_port == 0) {
      parts->admin_server->Shutdown();
      if (parts->remote_admin_server) parts->remote_admin_server->Shutdown();
      return absl::UnavailableError(
          absl::StrCat("listen: cannot listen on '", config.listen(), "' (is the port in use?)"));
    }
  }
  return absl::OkStatus();
}

void Node::Shutdown() {
  {
    absl::MutexLock lock(&parts_->mu);
    if (parts_->shut_down) return;
    parts_->shut_down = true;
  }
  LogInfo("node", "stopping");
  parts_->http.reset();
  parts_->sync->Stop();
  parts_->federation_service->Shutdown();
  const auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(2);
  if (parts_->federation_server) parts_->federation_server->Shutdown(deadline);
  parts_->admin_server->Shutdown(deadline);
  if (parts_->remote_admin_server) parts_->remote_admin_server->Shutdown(deadline);
  parts_->federation_server.reset();
  parts_->admin_server.reset();
  parts_->remote_admin_server.reset();
  ::unlink(parts_->config.admin_socket().c_str());
  parts_->purger.reset();
  if (parts_->verifier.joinable()) parts_->verifier.join();
  parts_->search.reset();  // commits what it indexed; follows the catalog no more
  parts_->catalog.reset();
  parts_->kv.reset();  // closes RocksDB, flushing what is pending
  LogInfo("node", "stopped");
  done_.Notify();
}

void Node::Wait() { done_.WaitForNotification(); }

int Node::federation_port() const { return parts_->federation_port; }

}  // namespace minga
