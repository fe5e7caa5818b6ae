// Fuzzes what a peer can send a node: a pull batch through ApplyBatch, then
// chunk data through StoreChunk, on a catalog over an in-memory store.
//
// The first input byte chooses how much of the batch the fuzzer makes
// valid, so the search goes past the signature check:
//   bit 0: each header's body hash and size are set from its body;
//   bit 1: each header is signed by its origin's key (alpha, beta, gamma);
//   bit 2: revision_count is set to the number of revisions;
//   bit 3: each body is also offered as a chunk under its real hash;
//   bit 4: chunks are stored only if a held material wants them.
// The rest is a serialized PullBatch.
//
// Properties: applying the same batch again changes nothing (the digest
// stays), and the tally the catalog keeps equals a recount of its store.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "minga/v1/federation.pb.h"
#include "node/catalog/catalog.h"
#include "node/catalog/tally.h"
#include "node/core/clock.h"
#include "node/core/crypto.h"
#include "node/core/keyring.h"
#include "node/core/revision.h"
#include "node/store/chunk_store.h"
#include "node/store/mem_kv.h"
#include "tests/fuzz/fuzz_support.h"

using minga::fuzz::Check;

namespace {

struct Federation {
  Federation() {
    if (!minga::InitCrypto().ok()) abort();
    std::map<std::string, minga::PublicKey, std::less<>> members;
    for (const char* org : {"alpha", "beta", "gamma"}) {
      auto [it, unused] = signing.emplace(org, minga::SigningKey::Generate());
      members.emplace(org, it->second.public_key());
    }
    keyring = std::make_unique<minga::Keyring>(std::move(members));
    clock.Set(int64_t{1780000000} * 1000000);
  }
  std::map<std::string, minga::SigningKey, std::less<>> signing;
  std::unique_ptr<minga::Keyring> keyring;
  minga::FakeClock clock;
};

void MakeValid(uint8_t flags, const Federation& fed, minga::v1::PullBatch* batch) {
  for (minga::v1::Revision& r : *batch->mutable_revisions()) {
    minga::v1::RevisionHeader header;
    if (!header.ParseFromString(r.signed_().header())) continue;
    if (flags & 1) {
      if (!r.body().empty()) {
        header.set_body_sha256(minga::DigestToBytes(minga::Sha256(r.body())));
        header.set_body_size(r.body().size());
      }
      r.mutable_signed_()->set_header(header.SerializeAsString());
    }
    auto key = fed.signing.find(header.origin());
    if ((flags & 2) && key != fed.signing.end()) {
      r.mutable_signed_()->set_signature(
          key->second.Sign(minga::SignaturePayload(r.signed_().header())));
    }
  }
  if (flags & 4) batch->set_revision_count(batch->revisions_size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Federation* fed = new Federation();
  if (size < 1) return 0;
  const uint8_t flags = data[0];
  minga::v1::PullBatch batch;
  if (!batch.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  MakeValid(flags, *fed, &batch);

  minga::MemKv kv;
  std::unique_ptr<minga::ChunkStore> chunks = minga::NewMemChunkStore();
  minga::CatalogOptions options;
  options.org_id = "alpha";
  options.signing_key = &fed->signing.at("alpha");
  options.keyring = fed->keyring.get();
  options.clock = &fed->clock;
  options.chunks = chunks.get();
  absl::StatusOr<std::unique_ptr<minga::Catalog>> catalog = minga::Catalog::Open(&kv, options);
  Check(catalog.ok(), "an empty catalog opens");

  (void)(*catalog)->pulls().ApplyBatch("beta", batch);
  absl::StatusOr<std::string> first = (*catalog)->Digest();
  Check(first.ok(), "digest after a batch");
  (void)(*catalog)->pulls().ApplyBatch("beta", batch);
  absl::StatusOr<std::string> second = (*catalog)->Digest();
  Check(second.ok() && *second == *first, "a batch applied twice changes nothing more");

  for (const minga::v1::Revision& r : batch.revisions()) {
    if (r.body().empty()) continue;
    const std::string sha =
        (flags & 8) ? minga::DigestToBytes(minga::Sha256(r.body())) : r.body().substr(0, 32);
    (void)(*catalog)->files().StoreChunk(sha, r.body(), (flags & 16) != 0);
  }

  const minga::v1::storage::Tally kept = (*catalog)->Counts();
  absl::StatusOr<minga::v1::storage::Tally> recount = minga::Recount(&kv, "alpha");
  Check(recount.ok(), "recount");
  absl::StatusOr<std::string> digest = (*catalog)->Digest();
  Check(digest.ok() && minga::DigestHex(kept) == *digest, "the kept digest = a recomputed one");
  Check(kept.chunks_stored() == recount->chunks_stored(), "chunks_stored = recount");
  Check(kept.chunk_bytes() == recount->chunk_bytes(), "chunk_bytes = recount");
  Check(kept.files_missing() == recount->files_missing(), "files_missing = recount");
  Check(kept.origins().size() == recount->origins().size(), "origins = recount");
  for (const auto& [origin, count] : kept.origins()) {
    auto it = recount->origins().find(origin);
    Check(it != recount->origins().end(), "each origin is in the store");
    Check(
        count.materials() == it->second.materials() && count.retracted() == it->second.retracted(),
        "per-origin counts = recount");
  }
  return 0;
}
