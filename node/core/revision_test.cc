#include "node/core/revision.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/status_matchers.h"
#include "tests/util/test_materials.h"

namespace minga {
namespace {

using ::minga::testing::IsOk;
using ::minga::testing::StatusIs;
using ::testing::HasSubstr;

class RevisionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(InitCrypto());
    material_ = testing::MakeMaterial("Protocolo", "org-a/protocolo");
    spec_.material_id = "org-a/protocolo";
    spec_.version = 42;
    spec_.audience.set_scope(v1::Audience::PUBLIC);
    spec_.time_unix_micros = 1000;
  }
  v1::Revision Make() { return SignRevision(key_, spec_, material_.SerializeAsString()); }

  SigningKey key_ = SigningKey::Generate();
  v1::Material material_;
  RevisionSpec spec_;
};

TEST_F(RevisionTest, SignedRevisionVerifies) {
  v1::Revision rev = Make();
  ASSERT_OK_AND_ASSIGN(v1::RevisionHeader h, DecodeHeader(rev.signed_()));
  EXPECT_EQ(h.origin(), "org-a");
  EXPECT_EQ(h.version(), 42u);
  EXPECT_THAT(VerifyHeaderSignature(rev.signed_(), key_.public_key()), IsOk());
  ASSERT_OK_AND_ASSIGN(v1::Material m, DecodeBody(h, rev.body(), Strictness::kPeer));
  EXPECT_EQ(m.title(), "Protocolo");
}

TEST_F(RevisionTest, EveryTamperedHeaderByteIsRejected) {
  const v1::Revision rev = Make();
  const std::string& bytes = rev.signed_().header();
  for (size_t i = 0; i < bytes.size(); ++i) {
    v1::SignedHeader tampered = rev.signed_();
    (*tampered.mutable_header())[i] ^= 0x01;
    EXPECT_THAT(VerifyHeaderSignature(tampered, key_.public_key()),
                StatusIs(absl::StatusCode::kUnauthenticated))
        << "byte " << i;
  }
}

TEST_F(RevisionTest, TamperedSignatureOrOtherKeyIsRejected) {
  v1::Revision rev = Make();
  v1::SignedHeader bad = rev.signed_();
  (*bad.mutable_signature())[10] ^= 0x40;
  EXPECT_THAT(VerifyHeaderSignature(bad, key_.public_key()),
              StatusIs(absl::StatusCode::kUnauthenticated));
  SigningKey other = SigningKey::Generate();
  EXPECT_THAT(VerifyHeaderSignature(rev.signed_(), other.public_key()),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RevisionTest, TamperedBodyIsRejected) {
  v1::Revision rev = Make();
  ASSERT_OK_AND_ASSIGN(v1::RevisionHeader h, DecodeHeader(rev.signed_()));
  std::string body = rev.body();
  body[body.size() / 2] ^= 0x20;
  EXPECT_THAT(DecodeBody(h, body, Strictness::kPeer),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("SHA-256")));
  EXPECT_THAT(DecodeBody(h, body.substr(1), Strictness::kPeer),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("bytes")));
}

TEST_F(RevisionTest, BodyOfAnotherMaterialIsRejected) {
  v1::Material other = material_;
  other.set_id("org-a/other");
  v1::Revision rev = SignRevision(key_, spec_, other.SerializeAsString());
  ASSERT_OK_AND_ASSIGN(v1::RevisionHeader h, DecodeHeader(rev.signed_()));
  EXPECT_THAT(DecodeBody(h, rev.body(), Strictness::kPeer),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body.id")));
}

TEST_F(RevisionTest, RetractionHasNoBody) {
  spec_.deleted = true;
  v1::Revision rev = SignRevision(key_, spec_, "");
  ASSERT_OK_AND_ASSIGN(v1::RevisionHeader h, DecodeHeader(rev.signed_()));
  EXPECT_TRUE(h.deleted());
  EXPECT_TRUE(h.body_sha256().empty());
  EXPECT_THAT(DecodeBody(h, "x", Strictness::kPeer), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(RevisionTest, MalformedHeadersAreRejectedNamingTheField) {
  auto make_with = [&](auto mutate) {
    v1::RevisionHeader h;
    h.set_format(1);
    h.set_material_id("org-a/x");
    h.set_origin("org-a");
    h.set_version(1);
    h.mutable_audience()->set_scope(v1::Audience::PUBLIC);
    h.set_body_sha256(std::string(32, 'x'));
    h.set_body_size(10);
    mutate(&h);
    v1::SignedHeader s;
    h.SerializeToString(s.mutable_header());
    s.set_signature(key_.Sign(SignaturePayload(s.header())));
    return s;
  };
  EXPECT_THAT(DecodeHeader(make_with([](v1::RevisionHeader* h) { h->set_format(2); })),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header.format")));
  EXPECT_THAT(DecodeHeader(make_with([](v1::RevisionHeader* h) { h->set_origin("org-b"); })),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header.origin")));
  EXPECT_THAT(DecodeHeader(make_with([](v1::RevisionHeader* h) { h->set_version(0); })),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header.version")));
  EXPECT_THAT(DecodeHeader(make_with([](v1::RevisionHeader* h) {
                h->mutable_audience()->set_scope(v1::Audience::MEMBERS);
                h->mutable_audience()->add_members("org-b");
              })),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("origin")));
  EXPECT_THAT(DecodeHeader(make_with([](v1::RevisionHeader* h) { h->set_body_size(0); })),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("body_size")));
  v1::SignedHeader garbage;
  garbage.set_header("\xff\xff\xff");
  garbage.set_signature(std::string(64, 's'));
  EXPECT_THAT(DecodeHeader(garbage), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CryptoTest, Sha256KnownAnswer) {
  EXPECT_EQ(DigestToHex(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256Hasher h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.Finish(), Sha256("abc"));
}

TEST(CryptoTest, KeyFromSeedIsStable) {
  ASSERT_OK(InitCrypto());
  SigningKey a = SigningKey::Generate();
  ASSERT_OK_AND_ASSIGN(SigningKey b, SigningKey::FromSeed(a.seed()));
  EXPECT_TRUE(a.public_key() == b.public_key());
  ASSERT_OK_AND_ASSIGN(PublicKey pk, PublicKey::FromBase64(a.public_key().ToBase64()));
  EXPECT_TRUE(pk.Verify("m", b.Sign("m")));
  EXPECT_THAT(PublicKey::FromBase64("not base64!"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SigningKey::FromSeed("short"), StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace minga
