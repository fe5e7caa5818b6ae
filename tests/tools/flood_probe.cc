// flood_probe: plays a member that opens many following pulls and never
// reads them, to test that a node bounds what one member can make it do.
//
//   flood_probe ADDRESS SERVER_ORG CA CERT KEY STREAMS CHANNELS SECONDS
//
// Opens STREAMS pulls spread over CHANNELS connections, holds them for
// SECONDS, then prints "opened=N refused=R other=O" (refused: ended by the
// node with RESOURCE_EXHAUSTED; other: ended another way) and cancels the
// rest. Prints "holding" once every stream was started.
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "minga/v1/federation.grpc.pb.h"
#include "node/net/credentials.h"

namespace {

std::string Read(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::atomic<int> refused{0};
std::atomic<int> other{0};

// A pull whose batches are never read: the node's writes back up.
class Unread : public grpc::ClientReadReactor<minga::v1::PullBatch> {
 public:
  void OnDone(const grpc::Status& s) override {
    (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED ? refused : other).fetch_add(1);
    done_.store(true);
  }
  grpc::ClientContext context;
  minga::v1::PullRequest request;
  std::atomic<bool> done_{false};
};

}  // namespace

int main(int argc, char** argv) {
  int streams = 0, channels = 0, seconds = 0;
  if (argc != 9 || !absl::SimpleAtoi(argv[6], &streams) || !absl::SimpleAtoi(argv[7], &channels) ||
      !absl::SimpleAtoi(argv[8], &seconds) || channels < 1) {
    std::fprintf(stderr,
                 "usage: flood_probe ADDRESS SERVER_ORG CA CERT KEY STREAMS CHANNELS SECONDS\n");
    return 2;
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = Read(argv[3]);
  tls.pem_cert_chain = Read(argv[4]);
  tls.pem_private_key = Read(argv[5]);
  auto credentials = grpc::SslCredentials(tls);
  std::vector<std::unique_ptr<minga::v1::Federation::Stub>> stubs;
  for (int c = 0; c < channels; ++c) {
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride(argv[2]);
    args.SetInt("flood_probe.channel", c);  // distinct channels, distinct connections
    stubs.push_back(
        minga::v1::Federation::NewStub(grpc::CreateCustomChannel(argv[1], credentials, args)));
  }
  std::vector<std::unique_ptr<Unread>> pulls;
  for (int i = 0; i < streams; ++i) {
    auto pull = std::make_unique<Unread>();
    pull->request.set_protocol_version(1);
    pull->request.set_follow(true);
    pull->request.set_heartbeat_seconds(300);
    stubs[i % channels]->async()->Pull(&pull->context, &pull->request, pull.get());
    pull->StartCall();
    pulls.push_back(std::move(pull));
  }
  std::printf("holding\n");
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  std::printf("opened=%d refused=%d other=%d\n", streams, refused.load(), other.load());
  std::fflush(stdout);
  for (auto& p : pulls) p->context.TryCancel();
  for (auto& p : pulls) {
    while (!p->done_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return 0;
}
