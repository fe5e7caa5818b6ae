#include "node/sync/batch_codec.h"

#include <zstd.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace minga {

struct BatchEncoder::State {
  ZSTD_CCtx* cctx = nullptr;
  ~State() { ZSTD_freeCCtx(cctx); }
};

struct BatchDecoder::State {
  ZSTD_DCtx* dctx = nullptr;
  size_t max_bytes = 0;
  bool broken = false;
  ~State() { ZSTD_freeDCtx(dctx); }
};

absl::StatusOr<std::unique_ptr<BatchEncoder>> BatchEncoder::Create(int level) {
  std::unique_ptr<BatchEncoder> e(new BatchEncoder());
  e->state_ = std::make_unique<State>();
  e->state_->cctx = ZSTD_createCCtx();
  if (e->state_->cctx == nullptr ||
      ZSTD_isError(ZSTD_CCtx_setParameter(e->state_->cctx, ZSTD_c_compressionLevel, level)) ||
      // A window the decoder accepts (see kWindowLogMax) whatever the level.
      ZSTD_isError(ZSTD_CCtx_setParameter(e->state_->cctx, ZSTD_c_windowLog, 21))) {
    return absl::InternalError("zstd: cannot make a compression context");
  }
  return e;
}

BatchEncoder::~BatchEncoder() = default;

absl::Status BatchEncoder::Encode(v1::PullBatch* batch) {
  if (batch->revisions_size() == 0) return absl::OkStatus();
  v1::PullBatch revisions;
  revisions.mutable_revisions()->Swap(batch->mutable_revisions());
  const std::string plain = revisions.SerializeAsString();
  std::string out(ZSTD_compressBound(plain.size()) + 64, '\0');
  ZSTD_inBuffer in{plain.data(), plain.size(), 0};
  ZSTD_outBuffer o{out.data(), out.size(), 0};
  while (true) {
    const size_t left = ZSTD_compressStream2(state_->cctx, &o, &in, ZSTD_e_flush);
    if (ZSTD_isError(left)) {
      return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(left)));
    }
    if (left == 0) break;
    out.resize(out.size() * 2);
    o.dst = out.data();
    o.size = out.size();
  }
  out.resize(o.pos);
  batch->set_zstd_revisions(std::move(out));
  return absl::OkStatus();
}

// Windows above 8 MiB are refused: the encoder uses 2 MiB, and a peer must
// not make this node hold more per stream.
constexpr int kWindowLogMax = 23;

absl::StatusOr<std::unique_ptr<BatchDecoder>> BatchDecoder::Create(size_t max_bytes) {
  std::unique_ptr<BatchDecoder> d(new BatchDecoder());
  d->state_ = std::make_unique<State>();
  d->state_->max_bytes = max_bytes;
  d->state_->dctx = ZSTD_createDCtx();
  if (d->state_->dctx == nullptr ||
      ZSTD_isError(ZSTD_DCtx_setParameter(d->state_->dctx, ZSTD_d_windowLogMax, kWindowLogMax))) {
    return absl::InternalError("zstd: cannot make a decompression context");
  }
  return d;
}

BatchDecoder::~BatchDecoder() = default;

absl::Status BatchDecoder::Decode(v1::PullBatch* batch) {
  if (batch->zstd_revisions().empty()) return absl::OkStatus();
  if (state_->broken) return absl::DataLossError("batch.zstd_revisions: the stream broke earlier");
  if (batch->revisions_size() > 0) {
    state_->broken = true;
    return absl::InvalidArgumentError(
        "batch: holds both revisions and zstd_revisions; one or the other");
  }
  const std::string& packed = batch->zstd_revisions();
  std::string plain(std::min(state_->max_bytes, packed.size() * 8 + 4096), '\0');
  ZSTD_inBuffer in{packed.data(), packed.size(), 0};
  ZSTD_outBuffer out{plain.data(), plain.size(), 0};
  while (true) {
    const size_t r = ZSTD_decompressStream(state_->dctx, &out, &in);
    if (ZSTD_isError(r)) {
      state_->broken = true;
      return absl::DataLossError(
          absl::StrCat("batch.zstd_revisions: does not decompress: ", ZSTD_getErrorName(r)));
    }
    // Done when the input is used up and the output had room to spare (so
    // nothing of this batch is left inside the decoder).
    if (in.pos == in.size && out.pos < out.size) break;
    if (out.pos == out.size) {
      if (plain.size() >= state_->max_bytes) {
        state_->broken = true;
        return absl::ResourceExhaustedError(absl::StrCat(
            "batch.zstd_revisions: decompresses to more than ", state_->max_bytes, " bytes"));
      }
      plain.resize(std::min(state_->max_bytes, plain.size() * 2));
      out.dst = plain.data();
      out.size = plain.size();
    }
  }
  v1::PullBatch revisions;
  if (!revisions.ParseFromArray(plain.data(), static_cast<int>(out.pos))) {
    state_->broken = true;
    return absl::DataLossError("batch.zstd_revisions: the revisions do not parse");
  }
  batch->mutable_revisions()->Swap(revisions.mutable_revisions());
  batch->clear_zstd_revisions();
  return absl::OkStatus();
}

}  // namespace minga
