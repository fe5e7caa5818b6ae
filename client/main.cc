// minga: the administrator's client of a Minga node. Parses the command
// line and hands over to a command (client/commands/).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "client/cli/output.h"
#include "client/commands/session.h"
#include "node/core/limits.h"
#include "node/core/read_file.h"

namespace {

using minga::cli::Command;

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto group :
       {minga::cli::CatalogCommands, minga::cli::SearchCommands, minga::cli::FileCommands,
        minga::cli::TransferCommands, minga::cli::HarvestCommands, minga::cli::AdminCommands}) {
    for (Command& c : group()) all.push_back(std::move(c));
  }
  return all;
}

void PrintUsage(const std::vector<Command>& commands) {
  std::printf(
      "minga: manage a Minga node (federated catalog of GBV knowledge materials)\n\n"
      "Usage: minga [--node ADDR] [--json] [--timeout SECONDS] COMMAND [ARGS]\n\n"
      "Commands:\n");
  for (const Command& c : commands) std::printf("  %-8s %s\n", c.name, c.summary);
  std::printf(
      "\nGlobal flags:\n"
      "  --node ADDR      the node's admin endpoint: unix:PATH or host:port\n"
      "                   (default $MINGA_NODE, else unix:minga-data/admin.sock)\n"
      "  --json           machine-readable output, one JSON object per line\n"
      "  --timeout S      deadline of each call in seconds (default 30)\n"
      "  --ca FILE        remote admin: the CA (PEM) that issued the node's\n"
      "                   certificate; the connection then uses TLS\n"
      "  --token-file F   remote admin: file holding the admin token (or $MINGA_TOKEN)\n"
      "  --tls-name NAME  remote admin: the name in the node's certificate, when\n"
      "                   it is not the host in --node\n\n"
      "`minga COMMAND --help` describes a command. Exit codes: 0 ok, 1 error,\n"
      "2 usage, 3 not found, 4 invalid input, 5 node unreachable, 6 conflict,\n"
      "7 permission denied.\n");
}

struct GlobalFlags {
  std::string ca_file, tls_name;
  bool help = false, version = false;
};

// The global flags, anywhere in `args` (CLI11), into `flags` and `session`;
// returns what is left, in order: the command and its own arguments.
absl::StatusOr<std::vector<std::string>> ParseGlobalFlags(const std::vector<std::string>& args,
                                                          GlobalFlags* flags,
                                                          minga::cli::Session* session) {
  CLI::App app;
  app.set_help_flag();  // `minga COMMAND --help` prints the command's help
  app.allow_extras();
  std::string timeout, token_file;
  auto single = [](CLI::Option* o) { o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast); };
  single(app.add_option("--node", session->node));
  single(app.add_option("--timeout", timeout));
  single(app.add_option("--ca", flags->ca_file));
  single(app.add_option("--token-file", token_file));
  single(app.add_option("--tls-name", flags->tls_name));
  app.add_flag("--json", session->json);
  app.add_flag("-h,--help", flags->help);
  app.add_flag("--version", flags->version);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // as CLI11 takes them
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return absl::InvalidArgumentError(absl::StrCat(e.what(), "; see minga --help"));
  }
  if (!timeout.empty()) {
    double seconds = 0;
    if (!absl::SimpleAtod(timeout, &seconds) || seconds <= 0 || seconds > 86400) {
      return absl::InvalidArgumentError(
          absl::StrCat("--timeout: '", timeout, "' is not a number of seconds"));
    }
    session->timeout = absl::Seconds(seconds);
  }
  if (!token_file.empty()) {
    absl::StatusOr<std::string> token =
        minga::ReadFileToString(token_file, minga::kMaxSmallFileBytes);
    if (!token.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--token-file: ", token.status().message()));
    }
    session->token = std::string(absl::StripAsciiWhitespace(*token));
  }
  return app.remaining();
}

// The command named in `args` (what the global flags left), or null when
// none is; the words around it go to `rest`, and a bare "help" sets `help`.
absl::StatusOr<const Command*> FindCommand(const std::vector<Command>& commands,
                                           const std::vector<std::string>& args, bool* help,
                                           std::vector<std::string>* rest) {
  const Command* command = nullptr;
  for (const std::string& a : args) {
    if (command != nullptr || a.empty() || a[0] == '-') {
      rest->push_back(a);
    } else if (a == "help") {
      *help = true;
    } else {
      for (const Command& c : commands) {
        if (a == c.name) command = &c;
      }
      if (command == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("unknown command '", a, "'; see minga --help"));
      }
    }
  }
  return command;
}

// Opens session->channel to session->node: over TLS when `ca_file` is
// given (the token then goes with each call), else in the clear, where a
// token is refused unless the node is the local socket (which needs none).
absl::Status Connect(const std::string& ca_file, const std::string& tls_name,
                     minga::cli::Session* session) {
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(minga::kMaxMessageBytes);
  channel_args.SetMaxSendMessageSize(minga::kMaxMessageBytes);
  // gRPC aborts on metadata it cannot send: check the token first.
  for (char c : session->token) {
    if (c < 0x21 || c > 0x7E) {
      return absl::InvalidArgumentError(
          "the admin token holds a space, control or non-ASCII character");
    }
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!ca_file.empty()) {
    absl::StatusOr<std::string> pem = minga::ReadFileToString(ca_file, minga::kMaxSmallFileBytes);
    if (!pem.ok() || pem->find("-----BEGIN") == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("--ca: '", ca_file, "' is not a readable PEM file"));
    }
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = *pem;
    credentials = grpc::SslCredentials(tls);
    if (!tls_name.empty()) channel_args.SetSslTargetNameOverride(tls_name);
  } else if (!session->token.empty() && session->node.rfind("unix:", 0) != 0) {
    // Never send a token in the clear.
    return absl::InvalidArgumentError(
        absl::StrCat("a token goes only over TLS: give --ca for ", session->node));
  } else {
    session->token.clear();
  }
  session->channel = grpc::CreateCustomChannel(session->node, credentials, channel_args);
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<Command> commands = AllCommands();
  minga::cli::Session session;
  const char* env_node = std::getenv("MINGA_NODE");
  session.node = env_node != nullptr && *env_node ? env_node : "unix:minga-data/admin.sock";
  if (const char* t = std::getenv("MINGA_TOKEN"); t != nullptr) {
    session.token = std::string(absl::StripAsciiWhitespace(t));
  }
  const std::vector<std::string> all(argv + 1, argv + argc);
  const auto dashdash = std::find(all.begin(), all.end(), std::string("--"));
  GlobalFlags flags;
  absl::StatusOr<std::vector<std::string>> remaining =
      ParseGlobalFlags({all.begin(), dashdash}, &flags, &session);
  if (!remaining.ok()) {
    std::fprintf(stderr, "minga: %s\n", std::string(remaining.status().message()).c_str());
    return minga::cli::kExitUsage;
  }
  if (flags.version) {
    std::printf("minga %s\n", MINGA_VERSION);
    return 0;
  }
  bool help = flags.help;
  const std::string& ca_file = flags.ca_file;
  const std::string& tls_name = flags.tls_name;
  std::vector<std::string> rest;
  absl::StatusOr<const Command*> found = FindCommand(commands, *remaining, &help, &rest);
  if (!found.ok()) {
    std::fprintf(stderr, "minga: %s\n", std::string(found.status().message()).c_str());
    return minga::cli::kExitUsage;
  }
  const Command* command = *found;
  rest.insert(rest.end(), dashdash, all.end());  // "--" and all after it: the command's
  if (command == nullptr) {
    PrintUsage(commands);
    return help ? 0 : minga::cli::kExitUsage;
  }
  if (help) {
    std::fputs(command->usage, stdout);
    return 0;
  }
  absl::StatusOr<minga::cli::Args> args = minga::cli::Args::Parse(rest, command->flags);
  if (!args.ok()) {
    std::fprintf(stderr, "minga %s: %s\n", command->name,
                 std::string(args.status().message()).c_str());
    return minga::cli::kExitUsage;
  }
  if (absl::Status s = Connect(ca_file, tls_name, &session); !s.ok()) {
    std::fprintf(stderr, "minga: %s\n", std::string(s.message()).c_str());
    return minga::cli::kExitUsage;
  }
  return command->run(session, *args);
}
