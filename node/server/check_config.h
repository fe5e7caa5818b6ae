// What `minga-node --check-config FILE` checks, without starting anything
// or writing a file: the config parses and is valid; the federation file it
// names parses and is valid; this node and its peers are members; and, once
// the data directory holds a signing key, that the federation file lists
// that key for this node.
//
// Thread safety: a plain function.
#ifndef MINGA_NODE_SERVER_CHECK_CONFIG_H_
#define MINGA_NODE_SERVER_CHECK_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"

namespace minga {

// A summary for the operator (org, data directory, listeners, peers, and
// what could not be checked yet). Errors name the file and the field.
absl::StatusOr<std::string> CheckConfigFile(const std::string& config_path);

}  // namespace minga

#endif  // MINGA_NODE_SERVER_CHECK_CONFIG_H_
