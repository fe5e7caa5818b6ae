// minga: the administrator's client of a Minga node. Parses the command
// line and hands over to a command (client/commands/).
#include <cstdio>
#include <fstream>
#include <sstream>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "client/cli/output.h"
#include "client/commands/session.h"
#include "node/core/limits.h"

namespace {

using minga::cli::Command;

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto group : {minga::cli::CatalogCommands, minga::cli::SearchCommands,
                     minga::cli::FileCommands, minga::cli::TransferCommands,
                     minga::cli::AdminCommands}) {
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

}  // namespace

int main(int argc, char** argv) {
  const std::vector<Command> commands = AllCommands();
  minga::cli::Session session;
  const char* env_node = std::getenv("MINGA_NODE");
  session.node = env_node != nullptr && *env_node ? env_node : "unix:minga-data/admin.sock";
  if (const char* t = std::getenv("MINGA_TOKEN"); t != nullptr) {
    session.token = std::string(absl::StripAsciiWhitespace(t));
  }
  std::string ca_file, tls_name;
  const Command* command = nullptr;
  std::vector<std::string> rest;
  bool help = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](const std::string& name) -> std::optional<std::string> {
      if (a == "--" + name && i + 1 < argc) return std::string(argv[++i]);
      if (a.rfind("--" + name + "=", 0) == 0) return a.substr(name.size() + 3);
      return std::nullopt;
    };
    if (auto v = value("node")) {
      session.node = *v;
    } else if (auto t = value("timeout")) {
      double seconds = 0;
      if (!absl::SimpleAtod(*t, &seconds) || seconds <= 0 || seconds > 86400) {
        std::fprintf(stderr, "minga: --timeout: '%s' is not a number of seconds\n", t->c_str());
        return minga::cli::kExitUsage;
      }
      session.timeout = absl::Seconds(seconds);
    } else if (auto ca = value("ca")) {
      ca_file = *ca;
    } else if (auto tf = value("token-file")) {
      std::ifstream in(*tf);
      std::stringstream ss;
      ss << in.rdbuf();
      if (!in) {
        std::fprintf(stderr, "minga: --token-file: cannot read '%s'\n", tf->c_str());
        return minga::cli::kExitUsage;
      }
      session.token = std::string(absl::StripAsciiWhitespace(ss.str()));
    } else if (auto name = value("tls-name")) {
      tls_name = *name;
    } else if (a == "--json") {
      session.json = true;
    } else if (a == "--help" || a == "-h" || (a == "help" && command == nullptr)) {
      help = true;
    } else if (a == "--version") {
      std::printf("minga %s\n", MINGA_VERSION);
      return 0;
    } else if (command == nullptr && !a.empty() && a[0] != '-') {
      for (const Command& c : commands) {
        if (a == c.name) command = &c;
      }
      if (command == nullptr) {
        std::fprintf(stderr, "minga: unknown command '%s'; see minga --help\n", a.c_str());
        return minga::cli::kExitUsage;
      }
    } else {
      rest.push_back(a);
    }
  }
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
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(minga::kMaxMessageBytes);
  channel_args.SetMaxSendMessageSize(minga::kMaxMessageBytes);
  // gRPC aborts on metadata it cannot send: check the token first.
  for (char c : session.token) {
    if (c < 0x21 || c > 0x7E) {
      std::fprintf(stderr, "minga: the admin token holds a space, control or non-ASCII character\n");
      return minga::cli::kExitUsage;
    }
  }
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!ca_file.empty()) {
    std::ifstream in(ca_file);
    std::stringstream pem;
    pem << in.rdbuf();
    if (!in || pem.str().find("-----BEGIN") == std::string::npos) {
      std::fprintf(stderr, "minga: --ca: '%s' is not a readable PEM file\n", ca_file.c_str());
      return minga::cli::kExitUsage;
    }
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = pem.str();
    credentials = grpc::SslCredentials(tls);
    if (!tls_name.empty()) channel_args.SetSslTargetNameOverride(tls_name);
  } else if (!session.token.empty() && session.node.rfind("unix:", 0) != 0) {
    // Never send a token in the clear.
    std::fprintf(stderr, "minga: a token goes only over TLS: give --ca for %s\n",
                 session.node.c_str());
    return minga::cli::kExitUsage;
  } else {
    session.token.clear();  // the local socket needs none
  }
  session.channel = grpc::CreateCustomChannel(session.node, credentials, channel_args);
  return command->run(session, *args);
}
