#include "client/cli/args.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iterator>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace minga::cli {

namespace {

// CLI11 spells a one-letter flag with one dash (-o) and the others with two.
std::string FlagName(const std::string& name) {
  return name.size() == 1 ? "-" + name : "--" + name;
}

// CLI11's error in this project's words, naming the flag.
absl::Status ErrorOf(const CLI::ParseError& e, const FlagSpec& spec) {
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(e.what(), "; see --help"));
  }
  // "--name: 1 required TEXT missing", or "name was given a disallowed flag
  // override" (a value given to a boolean flag).
  const absl::string_view what = e.what();
  std::string name(what.substr(0, what.find_first_of(": ")));
  name = std::string(absl::StripPrefix(absl::StripPrefix(name, "-"), "-"));
  const bool is_bool = spec.bools.count(name) > 0;
  return absl::InvalidArgumentError(
      absl::StrCat(FlagName(name), is_bool ? " takes no value" : " needs a value"));
}

}  // namespace

absl::StatusOr<Args> Args::Parse(const std::vector<std::string>& argv, const FlagSpec& spec) {
  Args args;
  CLI::App app;
  app.set_help_flag();  // the commands print their own help
  app.allow_extras();   // unknown flags are named below, in this project's words
  // Every value flag takes one value each time it is given; a single-value
  // flag keeps the last (Get), a repeated one keeps all (GetAll).
  for (const auto* names : {&spec.values, &spec.repeated}) {
    for (const std::string& name : *names) {
      app.add_option(FlagName(name), args.values_[name])
          ->expected(1)
          ->allow_extra_args(false)
          ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    }
  }
  std::map<std::string, CLI::Option*> bools;
  for (const std::string& name : spec.bools) {
    bools[name] = app.add_flag(FlagName(name))->disable_flag_override();
  }
  app.add_option("positional", args.positional_);
  // What follows "--" is positional, whatever it looks like. CLI11 takes
  // the arguments in reverse order.
  const auto dashdash = std::find(argv.begin(), argv.end(), std::string("--"));
  std::vector<std::string> reversed(std::make_reverse_iterator(dashdash), argv.rend());
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return ErrorOf(e, spec);
  }
  for (const std::string& extra : app.remaining()) {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag '", extra, "'; see --help"));
  }
  if (dashdash != argv.end())
    args.positional_.insert(args.positional_.end(), dashdash + 1, argv.end());
  for (auto it = args.values_.begin(); it != args.values_.end();) {
    it = it->second.empty() ? args.values_.erase(it) : std::next(it);
  }
  for (const auto& [name, option] : bools) {
    if (option->count() > 0) args.bools_.insert(name);
  }
  return args;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string Args::GetOr(const std::string& name, const std::string& fallback) const {
  return Get(name).value_or(fallback);
}

const std::vector<std::string>& Args::GetAll(const std::string& name) const {
  static const std::vector<std::string> kEmpty;
  auto it = values_.find(name);
  return it == values_.end() ? kEmpty : it->second;
}

bool Args::Has(const std::string& name) const {
  return bools_.count(name) > 0 || values_.count(name) > 0;
}

absl::StatusOr<int64_t> Args::GetInt(const std::string& name, int64_t fallback, int64_t min,
                                     int64_t max) const {
  std::optional<std::string> v = Get(name);
  if (!v.has_value()) return fallback;
  int64_t n = 0;
  if (!absl::SimpleAtoi(*v, &n) || n < min || n > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", name, ": '", *v, "' is not a whole number between ", min, " and ", max));
  }
  return n;
}

}  // namespace minga::cli
