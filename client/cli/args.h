// Command-line flags of one `minga` command, parsed by CLI11: --name value,
// --name=value, boolean --name, repeatable flags, one-letter flags as -o,
// and positional arguments (all of them after "--"). Flags may come before
// or after positionals. Errors name the flag: "unknown flag '--x'; see
// --help", "--x needs a value", "--x takes no value".
#ifndef MINGA_CLIENT_CLI_ARGS_H_
#define MINGA_CLIENT_CLI_ARGS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace minga::cli {

struct FlagSpec {
  std::set<std::string> values;    // take one value; the last one wins
  std::set<std::string> repeated;  // take a value each time, all kept
  std::set<std::string> bools;     // take no value
};

class Args {
 public:
  static absl::StatusOr<Args> Parse(const std::vector<std::string>& argv, const FlagSpec& spec);

  std::optional<std::string> Get(const std::string& name) const;
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  const std::vector<std::string>& GetAll(const std::string& name) const;
  bool Has(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  // A flag holding a whole number within [min, max].
  absl::StatusOr<int64_t> GetInt(const std::string& name, int64_t fallback, int64_t min,
                                 int64_t max) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::set<std::string> bools_;
  std::vector<std::string> positional_;
};

}  // namespace minga::cli

#endif  // MINGA_CLIENT_CLI_ARGS_H_
