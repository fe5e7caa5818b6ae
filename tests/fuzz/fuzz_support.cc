// Linked into every fuzzer: protobuf's own log lines (one per string field
// with invalid UTF-8) would drown libFuzzer's output; the fuzzers judge by
// statuses and crashes, not by what protobuf prints.
#include <cstddef>
#include <cstdint>
#include <string>

#include "google/protobuf/stubs/logging.h"

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  return 0;
}
