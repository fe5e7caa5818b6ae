// Fuzzes the zstd stream of a compressed pull (BatchDecoder): the input is
// cut into pieces, each the zstd_revisions of one batch of the call.
//
// Properties: a decoded batch never holds more than the decoder's bound;
// and any batch, encoded then decoded, comes back with the same revisions.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "minga/v1/federation.pb.h"
#include "node/sync/batch_codec.h"
#include "tests/fuzz/fuzz_support.h"

using minga::fuzz::Check;

namespace {

constexpr size_t kMaxBytes = 1 << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  // The decoder on arbitrary pieces, split at "|||".
  absl::StatusOr<std::unique_ptr<minga::BatchDecoder>> decoder =
      minga::BatchDecoder::Create(kMaxBytes);
  Check(decoder.ok(), "a decoder");
  size_t at = 0;
  while (at <= input.size()) {
    size_t end = input.find("|||", at);
    if (end == absl::string_view::npos) end = input.size();
    minga::v1::PullBatch batch;
    batch.set_zstd_revisions(std::string(input.substr(at, end - at)));
    if (!(*decoder)->Decode(&batch).ok()) break;
    size_t bytes = 0;
    for (const minga::v1::Revision& r : batch.revisions()) bytes += r.ByteSizeLong();
    Check(bytes <= kMaxBytes, "decoded revisions stay within the bound");
    at = end + 3;
  }

  // The round trip, when the input is a batch.
  minga::v1::PullBatch original;
  if (!original.ParseFromArray(data, static_cast<int>(size))) return 0;
  original.clear_zstd_revisions();
  absl::StatusOr<std::unique_ptr<minga::BatchEncoder>> encoder = minga::BatchEncoder::Create(1);
  absl::StatusOr<std::unique_ptr<minga::BatchDecoder>> fresh =
      minga::BatchDecoder::Create(size + kMaxBytes);
  Check(encoder.ok() && fresh.ok(), "an encoder and a decoder");
  minga::v1::PullBatch sent = original;
  Check((*encoder)->Encode(&sent).ok(), "any batch encodes");
  Check((*fresh)->Decode(&sent).ok(), "what was encoded decodes");
  Check(sent.revisions_size() == original.revisions_size(), "as many revisions come back");
  for (int i = 0; i < sent.revisions_size(); ++i) {
    Check(sent.revisions(i).SerializeAsString() == original.revisions(i).SerializeAsString(),
          "each revision comes back as it was");
  }
  return 0;
}
