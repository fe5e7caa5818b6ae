// Helpers shared by the config's parsing (config.cc) and its validation
// (validate_config.cc). Not part of the config's interface.
#ifndef MINGA_NODE_CONFIG_CONFIG_INTERNAL_H_
#define MINGA_NODE_CONFIG_CONFIG_INTERNAL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace minga::config_internal {

// "FIELD: REASON" as InvalidArgument.
absl::Status Invalid(absl::string_view field, absl::string_view reason);

// "host:port" with a numeric port; IPv6 hosts in brackets.
absl::Status CheckHostPort(absl::string_view field, absl::string_view value);

// The file at `path` is set and can be opened for reading.
absl::Status CheckReadable(absl::string_view field, const std::string& path);

}  // namespace minga::config_internal

#endif  // MINGA_NODE_CONFIG_CONFIG_INTERNAL_H_
