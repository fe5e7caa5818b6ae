#include "node/core/crypto.h"

#include <openssl/evp.h>
#include <sodium.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace minga {

absl::Status InitCrypto() {
  if (sodium_init() < 0) {
    return absl::InternalError("libsodium failed to initialise");
  }
  return absl::OkStatus();
}

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

Sha256Digest Sha256(absl::string_view data) {
  Sha256Digest out;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

std::string DigestToBytes(const Sha256Digest& digest) {
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

std::string DigestToHex(const Sha256Digest& digest) {
  return absl::BytesToHexString(DigestToBytes(digest));
}

struct Sha256Hasher::Ctx {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256Hasher::Sha256Hasher() : ctx_(std::make_unique<Ctx>()) {
  EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
}

Sha256Hasher::~Sha256Hasher() = default;

void Sha256Hasher::Update(absl::string_view data) {
  EVP_DigestUpdate(ctx_->md, data.data(), data.size());
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest out;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->md, out.data(), &len);
  EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
  return out;
}

absl::StatusOr<PublicKey> PublicKey::FromBytes(absl::string_view bytes) {
  if (bytes.size() != kSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("an Ed25519 public key is 32 bytes, got ", bytes.size()));
  }
  return PublicKey(std::string(bytes));
}

absl::StatusOr<PublicKey> PublicKey::FromBase64(absl::string_view base64) {
  std::string bytes;
  if (!absl::Base64Unescape(base64, &bytes)) {
    return absl::InvalidArgumentError("not valid base64");
  }
  return FromBytes(bytes);
}

bool PublicKey::Verify(absl::string_view message, absl::string_view signature) const {
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature.data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(),
                                     reinterpret_cast<const unsigned char*>(bytes_.data())) == 0;
}

std::string PublicKey::ToBase64() const { return absl::Base64Escape(bytes_); }

std::string PublicKey::Fingerprint() const { return DigestToHex(Sha256(bytes_)).substr(0, 16); }

SigningKey SigningKey::Generate() { return *FromSeed(RandomBytes(kSeedSize)); }

absl::StatusOr<SigningKey> SigningKey::FromSeed(absl::string_view seed) {
  if (seed.size() != kSeedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("an Ed25519 seed is 32 bytes, got ", seed.size()));
  }
  std::string pk(crypto_sign_PUBLICKEYBYTES, '\0');
  std::string sk(crypto_sign_SECRETKEYBYTES, '\0');
  crypto_sign_seed_keypair(reinterpret_cast<unsigned char*>(pk.data()),
                           reinterpret_cast<unsigned char*>(sk.data()),
                           reinterpret_cast<const unsigned char*>(seed.data()));
  return SigningKey(std::string(seed), std::move(sk), *PublicKey::FromBytes(pk));
}

std::string SigningKey::Sign(absl::string_view message) const {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       reinterpret_cast<const unsigned char*>(secret_.data()));
  return sig;
}

}  // namespace minga
