// PowerCutFs: a RocksDB file system that remembers, per file, how much of
// it has been synced, and can lose the rest, as a power cut does (the
// approach of RocksDB's own FaultInjectionTestFS, which Debian does not
// ship). A kill -9 keeps the page cache, so only this proves that what a
// node acknowledged was synced first.
//
// Use: open the store on rocksdb::NewCompositeEnv(fs); PowerOff() (every later
// write, sync or rename fails); close the store; PowerOnLosingUnsynced()
// truncates every file to what was synced; open the store again.
//
// Tests only; this file and its .cc include RocksDB. Thread-safe.
#ifndef MINGA_TESTS_UTIL_POWER_CUT_FS_H_
#define MINGA_TESTS_UTIL_POWER_CUT_FS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace minga::testing {

class PowerCutFs : public rocksdb::FileSystemWrapper {
 public:
  PowerCutFs();

  void PowerOff();
  // Truncates every file written since the last power-on to its synced
  // length and powers on. Returns the bytes lost.
  uint64_t PowerOnLosingUnsynced();

  const char* Name() const override { return "PowerCutFs"; }
  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus RenameFile(const std::string& src, const std::string& target,
                               const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus DeleteFile(const std::string& fname, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) override;

  // For the files this hands out.
  rocksdb::IOStatus Written(const std::string& fname, uint64_t end);
  rocksdb::IOStatus Synced(const std::string& fname);
  rocksdb::IOStatus CheckPower();

 private:
  struct FileState {
    uint64_t size = 0;    // bytes written
    uint64_t synced = 0;  // of which synced
  };
  rocksdb::IOStatus Wrap(const std::string& fname, uint64_t size,
                         std::unique_ptr<rocksdb::FSWritableFile>* result);

  absl::Mutex mu_;
  bool off_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(mu_);
};

}  // namespace minga::testing

#endif  // MINGA_TESTS_UTIL_POWER_CUT_FS_H_
