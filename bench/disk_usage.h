// Bytes on disk under a directory, for the benchmarks' store and index
// sizes. Unreadable entries count as nothing; a missing directory is 0.
#ifndef MINGA_BENCH_DISK_USAGE_H_
#define MINGA_BENCH_DISK_USAGE_H_

#include <cstdint>
#include <filesystem>
#include <system_error>

namespace minga::bench {

inline uint64_t DirBytes(const std::filesystem::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (e.is_regular_file(ec)) total += e.file_size(ec);
  }
  return total;
}

}  // namespace minga::bench

#endif  // MINGA_BENCH_DISK_USAGE_H_
