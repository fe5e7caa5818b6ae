#include "bench/xapian_ceiling.h"

#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace minga::bench {
namespace {

// Documents read per untimed step: about 50 MB of them in memory at once.
constexpr Xapian::docid kBatch = 10000;

// A copy held in memory: a document read from a database is lazy, and
// reading it inside the timed section would time the source's reads.
Xapian::Document Materialise(const Xapian::Document& in) {
  Xapian::Document out;
  for (auto t = in.termlist_begin(); t != in.termlist_end(); ++t) out.add_term(*t, t.get_wdf());
  for (auto v = in.values_begin(); v != in.values_end(); ++v) out.add_value(v.get_valueno(), *v);
  out.set_data(in.get_data());
  return out;
}

}  // namespace

absl::StatusOr<double> XapianWriterRate(const CeilingOptions& options) {
  namespace fs = std::filesystem;
  const int writers = std::max(1, options.writers);
  const uint64_t commit_every = std::max<uint64_t>(1, options.commit_every);
  try {
    Xapian::Database source(options.source);
    std::error_code ec;
    fs::remove_all(options.scratch, ec);
    fs::create_directories(options.scratch);
    // Declared before the databases, so it runs after they are closed.
    absl::Cleanup remove_scratch = [&] { fs::remove_all(options.scratch, ec); };
    std::vector<std::unique_ptr<Xapian::WritableDatabase>> dbs;
    for (int w = 0; w < writers; ++w) {
      dbs.push_back(std::make_unique<Xapian::WritableDatabase>(
          (fs::path(options.scratch) / absl::StrCat("writer-", w)).string(),
          Xapian::DB_CREATE_OR_OVERWRITE));
    }
    std::vector<uint64_t> since_commit(writers, 0);
    std::chrono::steady_clock::duration timed{};
    uint64_t added = 0;
    const Xapian::docid last = source.get_lastdocid();
    for (Xapian::docid first = 1; first <= last; first += kBatch) {
      // Untimed: this batch, dealt out to the writers in turn.
      std::vector<std::vector<Xapian::Document>> shares(writers);
      for (Xapian::docid d = first; d <= last && d < first + kBatch; ++d) {
        Xapian::Document doc;
        try {
          doc = source.get_document(d);
        } catch (const Xapian::DocNotFoundError&) {
          continue;  // deleted
        }
        shares[added++ % writers].push_back(Materialise(doc));
      }
      // Timed: each writer adds its share, committing as the node would.
      const auto start = std::chrono::steady_clock::now();
      std::vector<std::string> errors(writers);
      std::vector<std::thread> threads;
      for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
          try {
            for (const Xapian::Document& doc : shares[w]) {
              dbs[w]->add_document(doc);
              if (++since_commit[w] % commit_every == 0) dbs[w]->commit();
            }
          } catch (const Xapian::Error& e) {
            errors[w] = e.get_description();
          }
        });
      }
      for (std::thread& t : threads) t.join();
      timed += std::chrono::steady_clock::now() - start;
      for (const std::string& e : errors) {
        if (!e.empty()) {
          return absl::InternalError(
              absl::StrCat("Xapian writer rate: writing in ", options.scratch, ": ", e));
        }
      }
    }
    const auto start = std::chrono::steady_clock::now();
    for (auto& db : dbs) db->commit();
    timed += std::chrono::steady_clock::now() - start;
    dbs.clear();
    const double seconds = std::chrono::duration<double>(timed).count();
    if (added == 0 || seconds <= 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("Xapian writer rate: no documents in ", options.source));
    }
    return added / seconds;
  } catch (const Xapian::Error& e) {
    return absl::InternalError(absl::StrCat("Xapian writer rate (", options.source, ", writing in ",
                                            options.scratch, "): ", e.get_description()));
  }
}

}  // namespace minga::bench
