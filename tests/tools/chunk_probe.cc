// chunk_probe: asks a node's Federation service for one chunk by hash, with
// a given certificate, and prints the status code and message. Used by the
// integration tests to play a member that should not get the chunk.
//
//   chunk_probe ADDRESS SERVER_ORG CA CERT KEY CLAIMED_ORG MATERIAL_ID SHA256_HEX
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "minga/v1/federation.grpc.pb.h"
#include "node/net/credentials.h"

namespace {

std::string Read(const char* path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(
        stderr,
        "usage: chunk_probe ADDRESS SERVER_ORG CA CERT KEY CLAIMED_ORG MATERIAL_ID SHA256_HEX\n");
    return 2;
  }
  grpc::SslCredentialsOptions tls;
  tls.pem_root_certs = Read(argv[3]);
  tls.pem_cert_chain = Read(argv[4]);
  tls.pem_private_key = Read(argv[5]);
  auto channel = minga::FederationChannel(argv[1], argv[2], grpc::SslCredentials(tls));
  auto stub = minga::v1::Federation::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context.AddMetadata(minga::kOrgMetadataKey, argv[6]);
  minga::v1::GetChunksRequest request;
  request.set_material_id(argv[7]);
  request.add_sha256(absl::HexStringToBytes(argv[8]));
  auto reader = stub->GetChunks(&context, request);
  minga::v1::ChunkData chunk;
  int received = 0;
  while (reader->Read(&chunk)) received += chunk.data().empty() ? 0 : 1;
  grpc::Status st = reader->Finish();
  std::printf("code=%d received=%d message=%s\n", static_cast<int>(st.error_code()), received,
              st.error_message().c_str());
  return 0;
}
