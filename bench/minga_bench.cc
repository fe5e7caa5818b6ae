// minga-bench: measures what bounds a Minga node: signature verification
// (libsodium beside OpenSSL, the two candidates), hashing, signing, client
// writes, an initial pull between two RocksDB-backed catalogs with one and
// with several verifier threads, the cost of an idle pull, search latency,
// and peak memory. Prints a table and one JSON object.
#include <openssl/evp.h>
#include <sodium.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "node/catalog/catalog.h"
#include "node/core/crypto.h"
#include "node/core/parallel.h"
#include "node/search/search_view.h"
#include "node/store/chunk_store.h"
#include "node/store/rocks_kv.h"
#include "node/sync/local_peer_link.h"

namespace minga {
namespace {

constexpr char kUsage[] = R"(minga-bench: measure the costs that bound a Minga node

Usage: minga-bench [--materials N] [--seconds S] [--format table|json|both]

  --materials N   materials in the pull and search benchmarks (default 20000)
  --seconds S     time spent on each micro-benchmark (default 1)
  --format F      table, json, or both (default both: the table, then JSON)

Results, one row each:
  ed25519_verify_libsodium / _openssl   verifications per second, one core
  ed25519_sign_libsodium                 signatures per second, one core
  sha256_openssl / sha256_libsodium      MB per second, one core
  put_many                               materials per second written by a
                                         client (batches of 500, fsynced)
  initial_pull_threads_1 / _N            revisions per second of a full pull
                                         from one node's RocksDB to another's
                                         (decode, verify, apply, checkpoint)
  idle_pull_bytes                        bytes of a pull with nothing new
  search_p50_ms / search_p95_ms          latency over a few queries
  peak_rss_mib                           the process's peak resident memory
)";

using Steady = std::chrono::steady_clock;

double Seconds(Steady::time_point since) {
  return std::chrono::duration<double>(Steady::now() - since).count();
}

struct Result {
  std::string name;
  double value;
  std::string unit;
};

// Runs `op` repeatedly for about `seconds`; returns operations per second.
template <typename Op>
double Rate(double seconds, Op op) {
  uint64_t n = 0;
  const auto start = Steady::now();
  while (Seconds(start) < seconds) {
    for (int i = 0; i < 64; ++i) op();
    n += 64;
  }
  return n / Seconds(start);
}

double VerifyOpenSsl(double seconds) {
  unsigned char pk[32], sk[64], sig[64];
  crypto_sign_keypair(pk, sk);
  const std::string msg(200, 'h');
  crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(msg.data()), msg.size(),
                       sk);
  EVP_PKEY* key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pk, 32);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const double rate = Rate(seconds, [&] {
    EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, key);
    if (EVP_DigestVerify(ctx, sig, 64, reinterpret_cast<const unsigned char*>(msg.data()),
                         msg.size()) != 1) {
      std::abort();
    }
  });
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return rate;
}

v1::Material Synthetic(int i) {
  static const char* kWords[] = {"violencia", "salud",        "protocolo", "atención",   "mujeres",
                                 "justicia",  "policía",      "indígenas", "prevención", "género",
                                 "servicios", "coordinación", "víctimas",  "sexual",     "rural"};
  v1::Material m;
  m.set_id(absl::StrCat("m", i));
  m.set_title(absl::StrCat("Guía ", i, " de ", kWords[i % 15], " y ", kWords[(i / 15) % 15]));
  m.set_title_language("es");
  m.set_summary(absl::StrCat("Material sobre ", kWords[(i * 7) % 15], ", ", kWords[(i * 11) % 15],
                             " y ", kWords[(i * 13) % 15], " para los servicios esenciales."));
  m.set_kind("guide");
  m.add_sectors(i % 2 ? "health" : "justice");
  m.add_countries(i % 3 ? "PE" : "GT");
  m.add_topics("essential-services");
  m.add_publisher("Red de ejemplo");
  m.set_year(2000 + i % 25);
  return m;
}

struct Node {
  std::string dir;
  std::unique_ptr<SigningKey> key;
  std::unique_ptr<KvStore> kv;
  std::unique_ptr<ChunkStore> chunks;
  std::unique_ptr<Catalog> catalog;
};

Node OpenNode(const std::string& dir, const std::string& org, const Keyring* keyring,
              SigningKey key, Executor* executor) {
  Node n;
  n.dir = dir;
  n.key = std::make_unique<SigningKey>(std::move(key));
  RocksKvOptions o;
  o.path = dir;
  n.kv = *OpenRocksKv(o);
  CatalogOptions c;
  c.org_id = org;
  c.signing_key = n.key.get();
  c.keyring = keyring;
  c.executor = executor;
  n.chunks = *OpenFileChunkStore(dir + "-chunks");
  c.chunks = n.chunks.get();
  n.catalog = *Catalog::Open(n.kv.get(), c);
  return n;
}

double PeakRssMib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;
}

}  // namespace
}  // namespace minga

int main(int argc, char** argv) {
  using namespace minga;
  int materials = 20000;
  double seconds = 1;
  std::string format = "both";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--materials" && i + 1 < argc && absl::SimpleAtoi(argv[i + 1], &materials) &&
               materials > 0) {
      ++i;
    } else if (a == "--seconds" && i + 1 < argc && absl::SimpleAtod(argv[i + 1], &seconds) &&
               seconds > 0) {
      ++i;
    } else if (a == "--format" && i + 1 < argc) {
      format = argv[++i];
      if (format != "table" && format != "json" && format != "both") {
        std::fprintf(stderr, "minga-bench: --format: '%s' is not table, json or both\n", argv[i]);
        return 2;
      }
    } else {
      std::fprintf(stderr, "minga-bench: bad argument '%s'; see --help\n", a.c_str());
      return 2;
    }
  }
  if (!InitCrypto().ok()) return 1;
  std::vector<Result> results;

  // Signatures and hashes, one core each.
  SigningKey key = SigningKey::Generate();
  const std::string msg(200, 'h');
  const std::string sig = key.Sign(msg);
  results.push_back({"ed25519_verify_libsodium",
                     Rate(seconds,
                          [&] {
                            if (!key.public_key().Verify(msg, sig)) std::abort();
                          }),
                     "verifications/s"});
  results.push_back({"ed25519_verify_openssl", VerifyOpenSsl(seconds), "verifications/s"});
  results.push_back(
      {"ed25519_sign_libsodium", Rate(seconds, [&] { key.Sign(msg); }), "signatures/s"});
  const std::string mib(1 << 20, 'x');
  results.push_back({"sha256_openssl", Rate(seconds / 4, [&] { Sha256(mib); }), "MB/s"});
  unsigned char out[32];
  results.push_back({"sha256_libsodium",
                     Rate(seconds / 4,
                          [&] {
                            crypto_hash_sha256(out,
                                               reinterpret_cast<const unsigned char*>(mib.data()),
                                               mib.size());
                          }),
                     "MB/s"});
  results[3].value *= 1.048576;  // MiB per op -> MB
  results[4].value *= 1.048576;

  // Two RocksDB-backed nodes in a temporary directory.
  const std::string root =
      (std::filesystem::temp_directory_path() / absl::StrCat("minga-bench-", getpid())).string();
  std::filesystem::create_directories(root);
  SigningKey origin_key = SigningKey::Generate();
  std::map<std::string, PublicKey, std::less<>> keys;
  keys.emplace("origen", origin_key.public_key());
  std::vector<SigningKey> pull_keys;
  for (int t : {1, 2}) {
    pull_keys.push_back(SigningKey::Generate());
    keys.emplace(absl::StrCat("destino-", t), pull_keys.back().public_key());
  }
  Keyring keyring(keys);
  Node origin = OpenNode(root + "/origen", "origen", &keyring, origin_key, nullptr);
  {
    const auto start = Steady::now();
    for (int i = 0; i < materials; i += 500) {
      std::vector<PutItem> batch;
      for (int j = i; j < std::min(materials, i + 500); ++j) {
        PutItem r;
        r.material = Synthetic(j);
        batch.push_back(std::move(r));
      }
      if (!origin.catalog->local().PutMany(std::move(batch), "bench").ok()) return 1;
    }
    results.push_back({"put_many", materials / Seconds(start), "materials/s"});
  }

  const int cores = static_cast<int>(std::max(2u, std::thread::hardware_concurrency()));
  for (int threads : {1, cores}) {
    ThreadPoolExecutor pool(threads - 1);
    const std::string org = absl::StrCat("destino-", threads == 1 ? 1 : 2);
    Node dest = OpenNode(root + "/" + org, org, &keyring, pull_keys[threads == 1 ? 0 : 1], &pool);
    const auto start = Steady::now();
    // The origin serves the pull as it would a peer's, in process: the
    // cost measured is the catalog's, not the network's.
    LocalPeerLink link(origin.catalog.get(), org, SystemClock());
    std::unique_ptr<PullStream> stream = link.Pull(
        ResumeRequest({}, {}, /*follow=*/false, kDefaultBatchRevisions, 0), absl::Hours(1));
    v1::PullBatch batch;
    while (stream->Read(&batch)) {
      if (!dest.catalog->pulls().ApplyBatch("origen", batch).ok()) return 1;
    }
    if (!stream->Finish().ok()) return 1;
    results.push_back({absl::StrCat("initial_pull_threads_", threads), materials / Seconds(start),
                       "revisions/s"});
    if (threads == 1) {
      absl::StatusOr<v1::storage::PeerState> state = dest.catalog->pulls().GetPeerState("origen");
      if (!state.ok()) return 1;
      absl::StatusOr<v1::PullBatch> idle =
          ReadFirstBatch(&link, ResumeRequest(*state, {}, false, kDefaultBatchRevisions, 0));
      if (!idle.ok()) return 1;
      results.push_back({"idle_pull_bytes", static_cast<double>(idle->ByteSizeLong()), "bytes"});
    }
  }

  search::SearchViewOptions search_options;
  search_options.dir = root + "/origen-search";
  search_options.catalog = origin.catalog.get();
  absl::StatusOr<std::unique_ptr<search::SearchView>> view =
      search::SearchView::Open(search_options);
  if (!view.ok()) return 1;
  (*view)->Start();
  (*view)->WaitForPosition(origin.catalog->head_lseq(), absl::Minutes(10));
  std::vector<double> latencies;
  for (const char* query : {"violencia", "salud indígenas", "protocolo de atención", "justicia",
                            "guía 1234", "\"servicios esenciales\""}) {
    for (int rep = 0; rep < 5; ++rep) {
      v1::SearchRequest r;
      r.set_query(query);
      r.add_sectors("health");
      const auto start = Steady::now();
      absl::StatusOr<v1::SearchResponse> res = (*view)->Search(r);
      if (!res.ok()) return 1;
      latencies.push_back(Seconds(start) * 1000);
      if (std::getenv("MINGA_BENCH_VERBOSE") && rep == 0) {
        std::fprintf(stderr, "search %-26s %8.1f ms, %llu matches\n", query, latencies.back(),
                     static_cast<unsigned long long>(res->total()));
      }
    }
  }
  std::sort(latencies.begin(), latencies.end());
  results.push_back({"search_p50_ms", latencies[latencies.size() / 2], "ms"});
  results.push_back({"search_p95_ms", latencies[latencies.size() * 95 / 100], "ms"});
  results.push_back({"peak_rss_mib", PeakRssMib(), "MiB"});
  view->reset();
  origin = Node();
  std::filesystem::remove_all(root);

  if (format != "json") {
    std::printf("%-28s %16s  %s\n", "benchmark", "value", "unit");
    for (const Result& r : results) {
      std::printf("%-28s %16.1f  %s\n", r.name.c_str(), r.value, r.unit.c_str());
    }
    std::printf("(%d materials, %d cores)\n", materials, cores);
  }
  if (format != "table") {
    std::string json =
        absl::StrCat("{\"materials\":", materials, ",\"cores\":", cores, ",\"results\":{");
    for (size_t i = 0; i < results.size(); ++i) {
      absl::StrAppend(&json, i ? "," : "", "\"", results[i].name,
                      "\":{\"value\":", absl::StrFormat("%.3f", results[i].value), ",\"unit\":\"",
                      results[i].unit, "\"}");
    }
    std::printf("%s}}\n", json.c_str());
  }
  return 0;
}
