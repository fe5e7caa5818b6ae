// Material fields given as flags (--title, --sector ...), shared by `put`
// and `edit`.
#ifndef MINGA_CLIENT_COMMANDS_MATERIAL_FLAGS_H_
#define MINGA_CLIENT_COMMANDS_MATERIAL_FLAGS_H_

#include <string>

#include "absl/status/status.h"
#include "client/cli/args.h"
#include "minga/v1/catalog.pb.h"

namespace minga::cli {

// Adds the material field flags to `spec`.
void AddMaterialFlags(FlagSpec* spec);

// Sets the fields whose flags are present; a list flag replaces the list.
// `--audience` sets request->audience. INVALID_ARGUMENT names the flag.
absl::Status ApplyMaterialFlags(const Args& args, v1::PutRequest* request);

// The help text describing those flags, from the field table.
std::string MaterialFlagsHelp();

}  // namespace minga::cli

#endif  // MINGA_CLIENT_COMMANDS_MATERIAL_FLAGS_H_
