// Linked into every fuzzer: protobuf's own log lines (one per string field
// with invalid UTF-8) would drown libFuzzer's output; the fuzzers judge by
// statuses and crashes, not by what protobuf prints.
#include "tests/fuzz/fuzz_support.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "google/protobuf/stubs/logging.h"

namespace minga::fuzz {

void Check(bool ok, const char* property) {
  if (ok) return;
  fprintf(stderr, "property broken: %s\n", property);
  abort();
}

}  // namespace minga::fuzz

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return 0;
}
