// The gRPC services in process (grpc::Server::InProcessChannel): who may
// read which chunk, uploads that are cut short or lie about their content,
// and downloads. Plaintext mode, so callers name themselves in metadata.
// One suite over one fixture: its length is its cases.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "minga/v1/catalog.grpc.pb.h"
#include "minga/v1/federation.grpc.pb.h"
#include "node/config/config.h"
#include "node/core/chunker.h"
#include "node/core/limits.h"
#include "node/core/revision.h"
#include "node/net/credentials.h"
#include "node/server/node.h"
#include "node/service/catalog_service.h"
#include "node/service/federation_service.h"
#include "node/store/keys.h"
#include "tests/util/process.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_federation.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::StatusIs;
using ::testing::HasSubstr;

// Bytes without repeating chunks (repeats would be stored once).
std::string Data(size_t n) {
  std::mt19937 rng(static_cast<uint32_t>(n));
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sync_ = std::make_unique<SyncEngine>(&fed_.catalog(0), &fed_.clock());
    sync_->Start();
    search::SearchViewOptions so;
    so.dir = search_dir_.path();
    so.catalog = &fed_.catalog(0);
    so.sync = false;
    auto view = search::SearchView::Open(so);
    ASSERT_TRUE(view.ok()) << view.status();
    search_ = std::move(*view);
    workers_ = std::make_unique<TaskQueue>(2);
    CatalogServiceDeps deps{&fed_.catalog(0), sync_.get(), search_.get(), workers_.get(),
                            workers_.get()};
    catalog_service_ = std::make_unique<CatalogService>(deps, "admin");
    FederationServiceOptions o;
    o.plaintext = true;
    federation_service_ = std::make_unique<FederationService>(&fed_.catalog(0), o);
    grpc::ServerBuilder builder;
    builder.RegisterService(catalog_service_.get());
    builder.RegisterService(federation_service_.get());
    builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
    server_ = builder.BuildAndStart();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxMessageBytes);
    auto channel = server_->InProcessChannel(args);
    catalog_ = v1::Catalog::NewStub(channel);
    federation_ = v1::Federation::NewStub(channel);
  }
  void TearDown() override {
    federation_service_->Shutdown();
    server_->Shutdown();
    sync_->Stop();
  }

  std::string PutMaterial(const std::string& local, v1::Audience::Scope scope,
                          std::vector<std::string> members = {}) {
    PutItem r;
    r.material = testing::MakeMaterial("Con archivo", local);
    r.mutable_audience()->set_scope(scope);
    for (auto& m : members) r.mutable_audience()->add_members(m);
    return fed_.catalog(0).local().Put(r, "t")->id();
  }

  // Uploads `data`; `finish` false stops before the Finish message.
  grpc::Status Upload(const std::string& id, const std::string& name, const std::string& data,
                      bool finish, const std::string& claimed_sha, v1::AttachResponse* response) {
    grpc::ClientContext context;
    auto writer = catalog_->Attach(&context, response);
    v1::AttachRequest start;
    start.mutable_start()->set_material_id(id);
    start.mutable_start()->set_name(name);
    writer->Write(start);
    for (size_t pos = 0; pos < data.size(); pos += kChunkSize / 2) {
      v1::AttachRequest part;
      part.set_data(data.substr(pos, kChunkSize / 2));
      writer->Write(part);
    }
    if (finish) {
      v1::AttachRequest fin;
      fin.mutable_finish()->set_size(data.size());
      fin.mutable_finish()->set_sha256(claimed_sha);
      writer->Write(fin);
    }
    writer->WritesDone();
    return writer->Finish();
  }

  grpc::Status GetChunks(const std::string& as, const v1::GetChunksRequest& request,
                         std::vector<v1::ChunkData>* out) {
    grpc::ClientContext context;
    if (!as.empty()) context.AddMetadata(kOrgMetadataKey, as);
    auto reader = federation_->GetChunks(&context, request);
    v1::ChunkData chunk;
    while (reader->Read(&chunk)) out->push_back(chunk);
    return reader->Finish();
  }

  size_t StoredChunks() {
    size_t n = 0;
    EXPECT_TRUE(fed_.node(0).chunks->ForEach([&](const std::string&) { ++n; }).ok());
    return n;
  }

  testing::TestFederation fed_{std::vector<std::string>{"alpha", "beta", "gamma"}};
  testing::TempDir search_dir_;  // removed after the view that writes in it
  std::unique_ptr<SyncEngine> sync_;
  std::unique_ptr<search::SearchView> search_;
  std::unique_ptr<TaskQueue> workers_;
  std::unique_ptr<CatalogService> catalog_service_;
  std::unique_ptr<FederationService> federation_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::Catalog::Stub> catalog_;
  std::unique_ptr<v1::Federation::Stub> federation_;
};

TEST_F(ServiceTest, UploadFetchAndResume) {
  const std::string id = PutMaterial("a", v1::Audience::PUBLIC);
  const std::string data = Data(2 * kChunkSize + 777);
  v1::AttachResponse response;
  grpc::Status st = Upload(id, "guia.pdf", data, true, DigestToBytes(Sha256(data)), &response);
  ASSERT_TRUE(st.ok()) << st.error_message();
  const std::vector<ChunkSpan> spans = ChunkSpans(ChunkBytes(data));
  ASSERT_GE(spans.size(), 3u);
  EXPECT_EQ(response.new_chunks(), spans.size());
  EXPECT_EQ(response.file().size(), data.size());
  // From the start, a chunk's start, inside a chunk, and the end.
  for (uint64_t offset : {uint64_t{0}, spans[1].offset, spans[1].offset + 5,
                          spans.back().offset + spans.back().length - 1, uint64_t{data.size()}}) {
    grpc::ClientContext context;
    v1::FetchRequest request;
    request.set_id(id);
    request.set_name("guia.pdf");
    request.set_offset(offset);
    auto reader = catalog_->Fetch(&context, request);
    std::string got;
    v1::FetchResponse msg;
    while (reader->Read(&msg)) got += msg.data();
    ASSERT_TRUE(reader->Finish().ok());
    EXPECT_EQ(got, data.substr(offset));
  }
}

TEST_F(ServiceTest, CutOrFalseUploadsLeaveNothingBehind) {
  const std::string id = PutMaterial("a", v1::Audience::PUBLIC);
  const std::string data = Data(3 * kChunkSize);
  v1::AttachResponse response;
  grpc::Status cut = Upload(id, "cut.pdf", data, false, "", &response);
  EXPECT_EQ(cut.error_code(), grpc::StatusCode::ABORTED) << cut.error_message();
  EXPECT_EQ(StoredChunks(), 0u);
  grpc::Status lie = Upload(id, "lie.pdf", data, true, DigestToBytes(Sha256("other")), &response);
  EXPECT_EQ(lie.error_code(), grpc::StatusCode::DATA_LOSS) << lie.error_message();
  EXPECT_EQ(StoredChunks(), 0u);
  auto view = fed_.catalog(0).Get(id);
  EXPECT_EQ(view->material().files_size(), 0);
  grpc::Status bad_name = Upload(id, "../x", "abc", true, DigestToBytes(Sha256("abc")), &response);
  EXPECT_EQ(bad_name.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad_name.error_message(), HasSubstr("start.name"));
  grpc::Status missing =
      Upload("alpha/none", "x.pdf", "abc", true, DigestToBytes(Sha256("abc")), &response);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, ChunksOnlyForMembersOfTheAudienceAndThroughTheirMaterial) {
  const std::string secret = PutMaterial("secret", v1::Audience::MEMBERS, {"beta"});
  const std::string open = PutMaterial("open", v1::Audience::PUBLIC);
  const std::string data = Data(kChunkSize + 1), other = Data(1000) + "x";
  v1::AttachResponse r1, r2;
  ASSERT_TRUE(Upload(secret, "s.pdf", data, true, DigestToBytes(Sha256(data)), &r1).ok());
  ASSERT_TRUE(Upload(open, "o.pdf", other, true, DigestToBytes(Sha256(other)), &r2).ok());

  v1::GetChunksRequest request;
  request.set_material_id(secret);
  *request.mutable_sha256() = r1.file().chunk_sha256();
  std::vector<v1::ChunkData> got;
  ASSERT_TRUE(GetChunks("beta", request, &got).ok());
  ASSERT_EQ(got.size(), static_cast<size_t>(ChunkBytes(data).chunk_sha256_size()));
  std::string joined;
  for (const v1::ChunkData& c : got) joined += c.data();
  EXPECT_EQ(joined, data);

  got.clear();
  grpc::Status outsider = GetChunks("gamma", request, &got);
  EXPECT_EQ(outsider.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(outsider.error_message(), HasSubstr("outside the audience"));
  EXPECT_TRUE(got.empty());

  // Knowing the hash is not permission: gamma names a public material that
  // does not list the secret chunk.
  v1::GetChunksRequest through_open;
  through_open.set_material_id(open);
  through_open.add_sha256(r1.file().chunk_sha256(0));
  grpc::Status by_hash = GetChunks("gamma", through_open, &got);
  EXPECT_EQ(by_hash.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(got.empty());

  EXPECT_EQ(GetChunks("", request, &got).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(GetChunks("stranger", request, &got).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::GetChunksRequest too_many;
  too_many.set_material_id(open);
  for (int i = 0; i < 65; ++i) too_many.add_sha256(r2.file().chunk_sha256(0));
  EXPECT_EQ(GetChunks("beta", too_many, &got).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

// gamma lists the hash of alpha's members-only chunk in a public material of
// its own: asked through it, the chunk is answered as missing, and the call
// (with a readable chunk beside it) still succeeds.
TEST_F(ServiceTest, AChunkWithheldThroughAnotherOriginsListingComesBackMissing) {
  const std::string secret = PutMaterial("secret", v1::Audience::MEMBERS, {"beta"});
  const std::string data = Data(4000), mine = Data(3000);
  v1::AttachResponse attached;
  ASSERT_TRUE(Upload(secret, "s.pdf", data, true, DigestToBytes(Sha256(data)), &attached).ok());
  v1::Material lure = testing::MakeMaterial("Señuelo", "gamma/lure");
  *lure.add_files() = attached.file();
  v1::FileInfo own = ChunkBytes(mine);
  own.set_name("own.pdf");
  *lure.add_files() = own;
  const v1::PullBatch batch = testing::SignedBatch(*fed_.node(2).key, "gamma-feed", lure);
  ASSERT_TRUE(fed_.catalog(0).pulls().ApplyBatch("gamma", batch).ok());
  ASSERT_TRUE(fed_.catalog(0).files().StoreChunk(own.chunk_sha256(0), mine, true).ok());

  v1::GetChunksRequest request;
  request.set_material_id("gamma/lure");
  request.add_sha256(own.chunk_sha256(0));
  request.add_sha256(attached.file().chunk_sha256(0));
  std::vector<v1::ChunkData> got;
  grpc::Status st = GetChunks("gamma", request, &got);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].data(), mine);
  EXPECT_TRUE(got[1].missing());
  EXPECT_TRUE(got[1].data().empty());
}

TEST_F(ServiceTest, PullRefusesNonMembersAndAnIdlePullIsOneSmallBatch) {
  grpc::ClientContext stranger;
  stranger.AddMetadata(kOrgMetadataKey, "stranger");
  v1::PullRequest request;
  request.set_protocol_version(1);
  auto reader = federation_->Pull(&stranger, request);
  v1::PullBatch batch;
  while (reader->Read(&batch)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);

  grpc::ClientContext member;
  member.AddMetadata(kOrgMetadataKey, "beta");
  request.set_feed_id(fed_.catalog(0).feed_id());
  request.set_after_lseq(fed_.catalog(0).head_lseq());
  auto idle = federation_->Pull(&member, request);
  int batches = 0;
  while (idle->Read(&batch)) {
    ++batches;
    EXPECT_EQ(batch.revisions_size(), 0);
    EXPECT_LT(batch.ByteSizeLong(), 80u);
  }
  EXPECT_TRUE(idle->Finish().ok());
  EXPECT_EQ(batches, 1);
}

// Security review #1: a caller naming this node itself (any local process
// can, in plaintext mode) is refused in every call, and gets no body.
TEST_F(ServiceTest, ACallerClaimingToBeThisNodeIsRefused) {
  const std::string id = PutMaterial("secreto", v1::Audience::PRIVATE);
  const std::string data = Data(1000);
  v1::AttachResponse attached;
  ASSERT_TRUE(Upload(id, "s.bin", data, true, DigestToBytes(Sha256(data)), &attached).ok());

  grpc::ClientContext hello_context;
  hello_context.AddMetadata(kOrgMetadataKey, "alpha");
  v1::HelloRequest hello;
  hello.set_protocol_version(1);
  v1::HelloResponse hello_response;
  grpc::Status hello_status = federation_->Hello(&hello_context, hello, &hello_response);
  EXPECT_EQ(hello_status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(hello_status.error_message(), HasSubstr("this node itself"));

  grpc::ClientContext pull_context;
  pull_context.AddMetadata(kOrgMetadataKey, "alpha");
  v1::PullRequest request;
  request.set_protocol_version(1);
  auto reader = federation_->Pull(&pull_context, request);
  v1::PullBatch batch;
  int bodies = 0;
  while (reader->Read(&batch)) {
    for (const v1::Revision& r : batch.revisions()) bodies += r.body().empty() ? 0 : 1;
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(bodies, 0);

  v1::GetChunksRequest chunks;
  chunks.set_material_id(id);
  chunks.add_sha256(attached.file().chunk_sha256(0));
  std::vector<v1::ChunkData> got;
  EXPECT_EQ(GetChunks("alpha", chunks, &got).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(got.empty());
}

// Security review #9: a mistyped admin_socket that names a file does not
// delete it, and a directory others may write to is refused.
TEST(NodeStartTest, TheAdminSocketReplacesOnlyASocketInAPrivateDirectory) {
  testing::TempDir tmp;
  const std::string root = tmp.path();
  const std::string file = root + "/notes.txt";
  { std::ofstream(file) << "keep me\n"; }
  v1::NodeConfig config;
  config.set_org_id("alpha");
  config.set_data_dir(root + "/data");
  config.set_admin_socket(file);
  config.set_allow_plaintext_loopback(true);
  ApplyDefaults(&config, "");
  EXPECT_THAT(Node::Start(config).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("is not a socket")));
  std::ifstream kept(file);
  std::string line;
  std::getline(kept, line);
  EXPECT_EQ(line, "keep me");

  const std::string shared = root + "/shared";
  std::filesystem::create_directories(shared);
  std::filesystem::permissions(shared, std::filesystem::perms::all);
  config.set_admin_socket(shared + "/admin.sock");
  EXPECT_THAT(Node::Start(config).status(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                     HasSubstr("writable by other users")));

  // An existing data directory others may write to is refused, not chmod-ed.
  config.set_data_dir(shared);
  config.set_admin_socket(root + "/data/admin.sock");
  EXPECT_THAT(Node::Start(config).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("data_dir")));
  EXPECT_EQ(std::filesystem::status(shared).permissions(), std::filesystem::perms::all);

  // The default place works, and the socket is the owner's alone.
  config.set_data_dir(root + "/data");
  config.clear_admin_socket();
  config.set_admin_socket(root + "/data/admin.sock");
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Node> node, Node::Start(config));
  struct stat st;
  ASSERT_EQ(::stat((root + "/data/admin.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  node->Shutdown();
}

// Security review #2: the bounds of what one member can open here, and a
// following pull that ends on the node's initiative (the puller resumes).
TEST(FederationBoundsTest, PullsPerMemberAreCappedAndAFollowEndsWithAge) {
  testing::TestFederation fed(std::vector<std::string>{"alpha", "beta", "gamma"});
  FederationServiceOptions o;
  o.plaintext = true;
  o.max_pulls_per_peer = 2;
  o.max_pulls = 3;
  o.limits.max_age = absl::Seconds(2);
  FederationService service(&fed.catalog(0), o);
  grpc::ServerBuilder builder;
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  auto stub = v1::Federation::NewStub(server->InProcessChannel(grpc::ChannelArguments()));
  v1::PullRequest follow;
  follow.set_protocol_version(1);
  follow.set_follow(true);
  follow.set_heartbeat_seconds(1);
  struct Open {
    grpc::ClientContext context;
    std::unique_ptr<grpc::ClientReader<v1::PullBatch>> reader;
  };
  auto open = [&](const std::string& as) {
    auto o = std::make_unique<Open>();
    o->context.AddMetadata(kOrgMetadataKey, as);
    o->reader = stub->Pull(&o->context, follow);
    return o;
  };
  v1::PullBatch batch;
  auto a = open("beta");
  ASSERT_TRUE(a->reader->Read(&batch));
  auto b = open("beta");
  ASSERT_TRUE(b->reader->Read(&batch));
  auto c = open("beta");  // a third from the same member
  EXPECT_FALSE(c->reader->Read(&batch));
  grpc::Status refused = c->reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(), HasSubstr("'beta' has 2 pulls open"));
  auto d = open("gamma");  // another member still gets one...
  ASSERT_TRUE(d->reader->Read(&batch));
  auto e = open("gamma");  // ...but not past the node's total
  EXPECT_FALSE(e->reader->Read(&batch));
  EXPECT_EQ(e->reader->Finish().error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(service.open_pulls(), 3);
  // Heartbeats keep coming, then the node ends the follow by itself.
  const absl::Time start = absl::Now();
  int heartbeats = 0;
  while (a->reader->Read(&batch)) ++heartbeats;
  EXPECT_TRUE(a->reader->Finish().ok());
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  EXPECT_GE(heartbeats, 1);
  // Its slot is free again.
  while (b->reader->Read(&batch)) {
  }
  EXPECT_TRUE(b->reader->Finish().ok());
  auto f = open("beta");
  EXPECT_TRUE(f->reader->Read(&batch));
  f->context.TryCancel();
  while (f->reader->Read(&batch)) {
  }
  f->reader->Finish();
  d->context.TryCancel();
  while (d->reader->Read(&batch)) {
  }
  d->reader->Finish();
  service.Shutdown();
  server->Shutdown();
  EXPECT_EQ(service.open_pulls(), 0);
}

// Issue: a request whose string holds invalid UTF-8, sent straight to the
// API (not through minga), is refused by the node with INVALID_ARGUMENT
// naming the field, not by protobuf with INTERNAL.
TEST_F(ServiceTest, InvalidUtf8InAnyRequestStringIsRefusedNamingTheField) {
  grpc::GenericStub generic(server_->InProcessChannel(grpc::ChannelArguments()));
  auto call = [&](const std::string& method, std::string bytes) {
    grpc::ClientContext context;
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1), response;
    absl::Notification done;
    grpc::Status status;
    generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        status = std::move(s);
                        done.Notify();
                      });
    done.WaitForNotification();
    return status;
  };
  // A valid request with a placeholder, then the placeholder's bytes
  // replaced by invalid UTF-8 of the same length.
  auto poisoned = [](const google::protobuf::Message& m, const std::string& marker) {
    std::string bytes = m.SerializeAsString();
    const size_t at = bytes.find(marker);
    EXPECT_NE(at, std::string::npos);
    bytes.replace(at, 4, "\xff\xfe\xc3\x28");
    return bytes;
  };
  v1::PutRequest put;
  *put.mutable_material() = testing::MakeMaterial("Título QQQQ", "u");
  grpc::Status s = call("/minga.v1.Catalog/Put", poisoned(put, "QQQQ"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "material.title: not valid UTF-8");
  put.mutable_material()->set_title("Título");
  put.mutable_material()->add_sectors("QQQQ");
  s = call("/minga.v1.Catalog/Put", poisoned(put, "QQQQ"));
  EXPECT_EQ(s.error_message(), "material.sectors[1]: not valid UTF-8");
  v1::PutManyRequest many;
  *many.add_items() = put;
  *many.add_items()->mutable_material() = testing::MakeMaterial("Bien", "b");
  many.mutable_items(1)->mutable_material()->set_summary("RRRR");
  many.mutable_items(0)->mutable_material()->clear_sectors();
  many.mutable_items(0)->mutable_material()->add_sectors("health");
  s = call("/minga.v1.Catalog/PutMany", poisoned(many, "RRRR"));
  EXPECT_EQ(s.error_message(), "items[1].material.summary: not valid UTF-8");
  v1::SearchRequest search;
  search.set_query("violencia QQQQ");
  s = call("/minga.v1.Catalog/Search", poisoned(search, "QQQQ"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "query: not valid UTF-8");
  v1::GetRequest get;
  get.set_id("alpha/QQQQ");
  s = call("/minga.v1.Catalog/Get", poisoned(get, "QQQQ"));
  EXPECT_EQ(s.error_message(), "id: not valid UTF-8");
  // Nothing was stored by the refused writes.
  EXPECT_THAT(fed_.catalog(0).Get("alpha/u"), StatusIs(absl::StatusCode::kNotFound));
  // A request that is not a message at all is refused too, not INTERNAL.
  s = call("/minga.v1.Catalog/Get", std::string("\x0a\xff\xff\xff\xff\x0f", 6));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace minga
