// Checking a request's strings before protobuf parses it. Protobuf refuses
// a proto3 message whose string field holds invalid UTF-8, and gRPC then
// answers INTERNAL naming nothing; the node instead reads the raw bytes
// first and answers INVALID_ARGUMENT naming the field ("material.title:
// not valid UTF-8"), keeping `string` in the contract for other programs.
//
// Thread safety: pure functions.
#ifndef MINGA_NODE_SERVICE_WIRE_CHECK_H_
#define MINGA_NODE_SERVICE_WIRE_CHECK_H_

#include <grpcpp/support/byte_buffer.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"

namespace minga {

// OK when every string field of `wire` (a serialized message of type
// `descriptor`, at any depth) is valid UTF-8; else INVALID_ARGUMENT naming
// the first bad one by its path ("material.sectors[2]"). Bytes that are
// not a well-formed message are left for the parser to refuse.
absl::Status CheckStrings(const google::protobuf::Descriptor* descriptor, absl::string_view wire);

// The bytes of a gRPC message.
std::string Flatten(const grpc::ByteBuffer& buffer);

// The value of a message's one `bytes` field, left where gRPC received it:
// the pieces of its slices, which the struct keeps alive, so a large upload
// is neither flattened nor copied into a parsed message. Set only when the
// message is exactly that field, once (tag, length, value, nothing else),
// which parses to the same message; any other message is nullopt and is
// parsed whole.
struct BytesField {
  std::vector<grpc::Slice> slices;
  std::vector<absl::string_view> pieces;
  size_t size = 0;
};
std::optional<BytesField> SoleBytesField(const grpc::ByteBuffer& buffer, int field_number);

// A request parsed after CheckStrings. INVALID_ARGUMENT for bad strings or
// a message that does not parse.
template <typename Request>
absl::StatusOr<Request> ParseRequest(const grpc::ByteBuffer& buffer) {
  const std::string bytes = Flatten(buffer);
  absl::Status strings = CheckStrings(Request::descriptor(), bytes);
  if (!strings.ok()) return strings;
  Request request;
  if (!request.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("request: not a valid ", Request::descriptor()->full_name()));
  }
  return request;
}

// Serializes `message` into `buffer`.
template <typename Message>
void ToByteBuffer(const Message& message, grpc::ByteBuffer* buffer) {
  const std::string bytes = message.SerializeAsString();
  grpc::Slice slice(bytes);
  *buffer = grpc::ByteBuffer(&slice, 1);
}

}  // namespace minga

#endif  // MINGA_NODE_SERVICE_WIRE_CHECK_H_
