#include "node/service/wire_check.h"

#include <map>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "node/core/text.h"

namespace minga {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::internal::WireFormatLite;

// Deeper than any message of ours: a request nested past it is refused.
constexpr int kMaxDepth = 16;

absl::Status Walk(const Descriptor* d, google::protobuf::io::CodedInputStream* in,
                  const std::string& path, int depth) {
  if (depth > kMaxDepth) return absl::InvalidArgumentError("request: nested too deep");
  std::map<int, int> seen;  // occurrences of each repeated field so far
  while (true) {
    const uint32_t tag = in->ReadTag();
    if (tag == 0) return absl::OkStatus();  // the end, or malformed: the parser decides
    const FieldDescriptor* f = d->FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    const bool delimited =
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    if (f == nullptr || !delimited ||
        (f->type() != FieldDescriptor::TYPE_STRING && f->type() != FieldDescriptor::TYPE_MESSAGE)) {
      if (!WireFormatLite::SkipField(in, tag)) return absl::OkStatus();
      continue;
    }
    std::string field = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (f->is_repeated()) absl::StrAppend(&field, "[", seen[f->number()]++, "]");
    uint32_t length = 0;
    if (!in->ReadVarint32(&length)) return absl::OkStatus();
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      std::string value;
      if (!in->ReadString(&value, static_cast<int>(length))) return absl::OkStatus();
      if (!IsValidUtf8(value))
        return absl::InvalidArgumentError(absl::StrCat(field, ": not valid UTF-8"));
      continue;
    }
    const auto limit = in->PushLimit(static_cast<int>(length));
    absl::Status inner = Walk(f->message_type(), in, field, depth + 1);
    if (!inner.ok()) return inner;
    if (!in->ConsumedEntireMessage() && in->BytesUntilLimit() > 0) {
      in->Skip(in->BytesUntilLimit());
    }
    in->PopLimit(limit);
  }
}

}  // namespace

absl::Status CheckStrings(const Descriptor* descriptor, absl::string_view wire) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(wire.data()),
                                            static_cast<int>(wire.size()));
  return Walk(descriptor, &in, "", 0);
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  std::string out;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

std::optional<BytesField> SoleBytesField(const grpc::ByteBuffer& buffer, int field_number) {
  // Only the forms protobuf's parser takes: the tag in its one byte, the
  // length in at most five and below 2^31.
  if (field_number < 1 || field_number > 15) return std::nullopt;
  const uint32_t want_tag =
      (static_cast<uint32_t>(field_number) << 3) | WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
  BytesField out;
  if (!buffer.Dump(&out.slices).ok()) return std::nullopt;
  size_t slice = 0;
  size_t at = 0;
  // The next byte of the header, which may be split over slices.
  auto next = [&]() -> std::optional<uint8_t> {
    while (slice < out.slices.size() && at == out.slices[slice].size()) {
      ++slice;
      at = 0;
    }
    if (slice == out.slices.size()) return std::nullopt;
    return out.slices[slice].begin()[at++];
  };
  if (next() != want_tag) return std::nullopt;
  uint64_t length = 0;
  size_t header_bytes = 1;
  for (int shift = 0;; shift += 7) {
    const std::optional<uint8_t> b = next();
    if (!b.has_value() || shift > 28) return std::nullopt;
    ++header_bytes;
    length |= static_cast<uint64_t>(*b & 0x7f) << shift;
    if ((*b & 0x80) == 0) break;
  }
  if (length > INT32_MAX || header_bytes + length != buffer.Length()) return std::nullopt;
  for (; slice < out.slices.size(); ++slice, at = 0) {
    const grpc::Slice& s = out.slices[slice];
    if (at < s.size()) {
      out.pieces.emplace_back(reinterpret_cast<const char*>(s.begin()) + at, s.size() - at);
    }
  }
  out.size = length;
  return out;
}

}  // namespace minga
