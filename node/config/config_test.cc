#include "node/config/config.h"

#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "tests/util/status_matchers.h"

namespace minga {
namespace {

using ::minga::testing::IsOk;
using ::minga::testing::StatusIs;
using ::testing::HasSubstr;

v1::FederationFile Federation(const SigningKey& alpha) {
  v1::FederationFile f;
  v1::Member* a = f.add_members();
  a->set_org_id("alpha");
  a->set_signing_public_key(alpha.public_key().ToBase64());
  v1::Member* b = f.add_members();
  b->set_org_id("beta");
  b->set_signing_public_key(SigningKey::Generate().public_key().ToBase64());
  b->add_addresses("127.0.0.1:7422");
  return f;
}

TEST(ConfigTest, ParseErrorsNameFileLineAndColumn) {
  EXPECT_THAT(ParseNodeConfig("org_id: \"a\"\nlisten 7420\n", "node.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node.textproto:2:")));
  EXPECT_THAT(ParseNodeConfig("org_id: \"alpha\"\npeer { org_id: \"b\" }\n", "n.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("n.textproto:2:")));
}

TEST(ConfigTest, DefaultsAndValidation) {
  ASSERT_OK(InitCrypto());
  SigningKey key = SigningKey::Generate();
  const v1::FederationFile f = Federation(key);
  v1::NodeConfig c = DefaultNodeConfig();
  // Security review #1: a node on the embedded default has no partner to
  // serve, so it opens no federation port anyone could pose as one on.
  EXPECT_EQ(c.listen(), "");
  c.set_org_id("alpha");
  EXPECT_EQ(c.admin_socket(), "minga-data/admin.sock");
  EXPECT_THAT(ValidateNodeConfig(c, f), IsOk());

  v1::NodeConfig public_plain = c;
  public_plain.set_listen("0.0.0.0:7420");
  EXPECT_THAT(ValidateNodeConfig(public_plain, f),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("listen: '0.0.0.0:7420' is not loopback")));

  v1::NodeConfig no_tls = c;
  no_tls.set_allow_plaintext_loopback(false);
  EXPECT_THAT(ValidateNodeConfig(no_tls, f),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tls: required")));

  v1::NodeConfig stranger = c;
  stranger.add_peers()->set_org_id("gamma");
  stranger.mutable_peers(0)->set_address("127.0.0.1:1");
  EXPECT_THAT(ValidateNodeConfig(stranger, f),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("peers[0].org_id: 'gamma' is not a member")));

  v1::NodeConfig bad_sub = c;
  v1::PeerConfig* p = bad_sub.add_peers();
  p->set_org_id("beta");
  p->set_address("127.0.0.1:7422");
  p->mutable_subscription()->add_kinds("podcast");
  EXPECT_THAT(
      ValidateNodeConfig(bad_sub, f),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peers[0].subscription.kinds[0]")));

  v1::NodeConfig slow_peer = c;
  v1::PeerConfig* slow = slow_peer.add_peers();
  slow->set_org_id("beta");
  slow->set_address("127.0.0.1:7422");
  slow->set_max_file_kib_per_second(1024);
  EXPECT_OK(ValidateNodeConfig(slow_peer, f));
  slow->set_max_file_kib_per_second(8);
  EXPECT_THAT(ValidateNodeConfig(slow_peer, f),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("peers[0].max_file_kib_per_second: 8 is not 0 (no limit)")));

  v1::NodeConfig remote_peer = c;
  v1::PeerConfig* r = remote_peer.add_peers();
  r->set_org_id("beta");
  r->set_address("10.0.0.2:7420");
  EXPECT_THAT(ValidateNodeConfig(remote_peer, f),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("peers[0].address")));

  EXPECT_EQ(c.store().disk_reserve_mb(), 128u);
  v1::NodeConfig tiny_reserve = c;
  tiny_reserve.mutable_store()->set_disk_reserve_mb(8);
  EXPECT_THAT(ValidateNodeConfig(tiny_reserve, f),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("store.disk_reserve_mb: must be 16 to 1048576")));

  EXPECT_EQ(c.interlock().share_percent(), 20u);
  EXPECT_EQ(c.interlock().min_materials(), 100u);
  EXPECT_EQ(c.interlock().window_minutes(), 60u);
  EXPECT_EQ(c.interlock().grace_hours(), 168u);
  EXPECT_FALSE(c.interlock().disabled());
  v1::NodeConfig share = c;
  share.mutable_interlock()->set_share_percent(120);
  EXPECT_THAT(ValidateNodeConfig(share, f),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("interlock.share_percent: must be 1 to 100")));
  v1::NodeConfig grace = c;
  grace.mutable_interlock()->set_grace_hours(10000);
  EXPECT_THAT(ValidateNodeConfig(grace, f),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("interlock.grace_hours")));
}

TEST(ConfigTest, TheHttpListenerIsHttpsUnlessOnLoopback) {
  ASSERT_OK(InitCrypto());
  SigningKey key = SigningKey::Generate();
  const v1::FederationFile f = Federation(key);
  v1::NodeConfig c = DefaultNodeConfig();
  c.set_org_id("alpha");
  EXPECT_EQ(c.http().listen(), "");  // off by default

  v1::NodeConfig local = c;
  local.mutable_http()->set_listen("127.0.0.1:9464");
  EXPECT_THAT(ValidateNodeConfig(local, f), IsOk());

  v1::NodeConfig wide = c;
  wide.mutable_http()->set_listen("0.0.0.0:9464");
  EXPECT_THAT(ValidateNodeConfig(wide, f),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("http.listen: '0.0.0.0:9464' is not loopback, so it serves HTTPS "
                                 "and needs tls.cert_file")));

  v1::NodeConfig malformed = c;
  malformed.mutable_http()->set_listen("9464");
  EXPECT_THAT(ValidateNodeConfig(malformed, f),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http.listen")));

  v1::NodeConfig taken = c;
  taken.set_listen("127.0.0.1:7420");
  taken.mutable_http()->set_listen("127.0.0.1:7420");
  EXPECT_THAT(ValidateNodeConfig(taken, f),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("http.listen: '127.0.0.1:7420' is taken by another listener")));
}

TEST(ConfigTest, TheOaiProviderNeedsAListenerAnAddressAndADomainName) {
  ASSERT_OK(InitCrypto());
  SigningKey key = SigningKey::Generate();
  const v1::FederationFile f = Federation(key);
  auto with = [](const std::string& http) {
    v1::NodeConfig c = DefaultNodeConfig();
    c.set_org_id("alpha");
    c.mutable_http()->set_listen("127.0.0.1:9464");
    EXPECT_TRUE(
        google::protobuf::TextFormat::ParseFromString(http, c.mutable_http()->mutable_oai()));
    ApplyDefaults(&c, "");
    return c;
  };
  v1::NodeConfig ok = with("admin_email: \"it@alpha.org\"");
  EXPECT_THAT(ValidateNodeConfig(ok, f), IsOk());
  EXPECT_EQ(ok.http().oai().repository_identifier(), "alpha.minga");
  EXPECT_EQ(ok.http().oai().repository_name(), "Minga node alpha");

  v1::NodeConfig no_listener = ok;
  no_listener.mutable_http()->clear_listen();
  EXPECT_THAT(
      ValidateNodeConfig(no_listener, f),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http.oai: needs http.listen")));
  EXPECT_THAT(ValidateNodeConfig(with("repository_name: \"x\""), f),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("http.oai.admin_email: '' is not an e-mail address")));
  EXPECT_THAT(ValidateNodeConfig(with("admin_email: \"it@alpha.org\" repository_identifier: "
                                      "\"1node.org\""),
                                 f),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("http.oai.repository_identifier: '1node.org' is not a domain")));
  EXPECT_THAT(
      ValidateNodeConfig(with("admin_email: \"it@alpha.org\" base_url: \"ftp://x/oai\""), f),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("http.oai.base_url")));
}

TEST(ConfigTest, LoopbackMeansALiteralLoopbackAddress) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:7420"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3:1"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:7420"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:7420"));
  EXPECT_FALSE(IsLoopbackAddress("127.example.org:7420"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.1:7420"));
  EXPECT_FALSE(IsLoopbackAddress("127.0.0.1"));
}

TEST(ConfigTest, FederationFileChecks) {
  v1::FederationFile f;
  EXPECT_THAT(ValidateFederationFile(f), StatusIs(absl::StatusCode::kInvalidArgument));
  v1::Member* m = f.add_members();
  m->set_org_id("alpha");
  m->set_signing_public_key("not-a-key");
  EXPECT_THAT(ValidateFederationFile(f), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  HasSubstr("members[0].signing_public_key")));
  m->set_signing_public_key(SigningKey::Generate().public_key().ToBase64());
  *f.add_members() = *m;
  EXPECT_THAT(ValidateFederationFile(f),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("listed twice")));
}

TEST(ConfigTest, ResolveFillsPeerAddressesAndChecksOwnKey) {
  ASSERT_OK(InitCrypto());
  SigningKey key = SigningKey::Generate();
  v1::NodeConfig c = DefaultNodeConfig();
  c.set_org_id("alpha");
  // Without a federation file: a federation of one.
  ASSERT_OK_AND_ASSIGN(v1::FederationFile alone, ResolveFederation(&c, key.public_key()));
  EXPECT_EQ(alone.members_size(), 1);
  EXPECT_TRUE(KeyringOf(alone).IsMember("alpha"));
}

}  // namespace
}  // namespace minga

namespace minga {
namespace {

// The example configs in config/ stay valid text format.
TEST(ConfigTest, ExampleConfigsParse) {
  for (const char* name : {"node.example.textproto", "federation.example.textproto"}) {
    std::ifstream in(std::string(MINGA_SOURCE_DIR) + "/config/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    ASSERT_FALSE(ss.str().empty()) << name;
    if (std::string(name).rfind("node", 0) == 0) {
      EXPECT_OK(ParseNodeConfig(ss.str(), name).status());
    } else {
      EXPECT_OK(ParseFederationFile(ss.str(), name).status());
    }
  }
}

}  // namespace
}  // namespace minga
