// Small helpers between protobuf and absl::string_view (this abseil's
// string_view is its own type, which protobuf 3.21 does not take).
#ifndef MINGA_NODE_CORE_PROTO_UTIL_H_
#define MINGA_NODE_CORE_PROTO_UTIL_H_

#include "absl/strings/string_view.h"
#include "google/protobuf/message_lite.h"

namespace minga {

// Parses `bytes` into `message`; false when they are not a valid encoding.
inline bool ParseProto(absl::string_view bytes, google::protobuf::MessageLite* message) {
  return message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace minga

#endif  // MINGA_NODE_CORE_PROTO_UTIL_H_
