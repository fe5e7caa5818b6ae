// The rate at which Xapian's own writer adds documents, with nothing of
// Minga around it: the documents of a built index, read ahead into memory in
// untimed batches, added to fresh databases by one or more writer threads
// (one database each, as shards would be), each committing every
// `commit_every` of its documents with the same durability as the node's
// index (synced commits). What is timed is `add_document` and `commit` only,
// so the result is an upper bound for any index built on Xapian here, and
// the two-writer figure is what two shards could reach on this machine.
//
// Not thread-safe to call concurrently; uses `writers` threads of its own.
// Errors: Xapian's, as a Status naming the database.
#ifndef MINGA_BENCH_XAPIAN_CEILING_H_
#define MINGA_BENCH_XAPIAN_CEILING_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace minga::bench {

struct CeilingOptions {
  std::string source;            // a Xapian database to take the documents from
  std::string scratch;           // a directory for the writers' databases; emptied
  int writers = 1;               // threads, each with a database of its own
  uint64_t commit_every = 5000;  // documents per commit, per writer
};

// Documents per second over all writers.
absl::StatusOr<double> XapianWriterRate(const CeilingOptions& options);

}  // namespace minga::bench

#endif  // MINGA_BENCH_XAPIAN_CEILING_H_
