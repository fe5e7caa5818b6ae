// SHA-256 (OpenSSL, which uses the CPU's SHA extensions: about 1.4 GB/s here)
// and Ed25519 signatures (libsodium: about 19,500 verifications/s per core,
// more than twice OpenSSL's rate, and verification bounds an initial sync).
//
// All classes are immutable after construction and safe to share between
// threads, except Sha256Hasher, which one thread uses at a time.
#ifndef MINGA_NODE_CORE_CRYPTO_H_
#define MINGA_NODE_CORE_CRYPTO_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace minga {

// Initialises libsodium. Call once before using the classes below; safe to
// call again. Fails only if the library cannot initialise.
absl::Status InitCrypto();

// `n` bytes from the operating system's secure random source.
std::string RandomBytes(size_t n);

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(absl::string_view data);
std::string DigestToBytes(const Sha256Digest& digest);
std::string DigestToHex(const Sha256Digest& digest);

// Incremental SHA-256 over data that arrives in pieces.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;

  void Update(absl::string_view data);
  // Returns the digest; the hasher then starts over.
  Sha256Digest Finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

class PublicKey {
 public:
  static constexpr size_t kSize = 32;
  static absl::StatusOr<PublicKey> FromBytes(absl::string_view bytes);
  static absl::StatusOr<PublicKey> FromBase64(absl::string_view base64);

  // True when `signature` is a valid Ed25519 signature of `message`.
  bool Verify(absl::string_view message, absl::string_view signature) const;

  const std::string& bytes() const { return bytes_; }
  std::string ToBase64() const;
  // First 16 hex digits of SHA-256(key): short, stable, shown to users.
  std::string Fingerprint() const;

  bool operator==(const PublicKey& other) const { return bytes_ == other.bytes_; }

 private:
  explicit PublicKey(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string bytes_;
};

class SigningKey {
 public:
  static constexpr size_t kSeedSize = 32;
  static constexpr size_t kSignatureSize = 64;

  // A fresh random key.
  static SigningKey Generate();
  // The key for a 32-byte seed (what the node keeps on disk).
  static absl::StatusOr<SigningKey> FromSeed(absl::string_view seed);

  std::string Sign(absl::string_view message) const;
  const PublicKey& public_key() const { return public_key_; }
  const std::string& seed() const { return seed_; }

 private:
  SigningKey(std::string seed, std::string secret, PublicKey pk)
      : seed_(std::move(seed)), secret_(std::move(secret)), public_key_(std::move(pk)) {}
  std::string seed_;
  std::string secret_;  // libsodium's 64-byte secret key
  PublicKey public_key_;
};

}  // namespace minga

#endif  // MINGA_NODE_CORE_CRYPTO_H_
