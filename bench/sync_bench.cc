// minga-sync-bench: Minga beside PouchDB on PouchDB's own workload, in one
// run. Generates N realistic catalog materials (bench/corpus.h), then for
// Minga: loads them into node A with `minga import`, restarts A, starts
// node B as A's partner over mutual TLS and times B's initial pull until
// durable and until searchable, the idle cost, a 1% incremental pull, and a
// three-hop propagation latency on a line of four nodes; for PouchDB the
// same documents through bench/pouchdb (two express-pouchdb servers, each
// with its own LevelDB store). Bytes on the wire are counted by the same
// kind of TCP proxy for both. Prints a table with the ratios and targets,
// and one JSON object.
// One program, run top to bottom: its length is its scenarios.
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/corpus.h"
#include "bench/disk_usage.h"
#include "bench/measure.h"
#include "bench/tcp_proxy.h"
#include "client/formats/records.h"
#include "grpcpp/grpcpp.h"
#include "minga/v1/admin.grpc.pb.h"
#include "minga/v1/catalog.grpc.pb.h"
#include "tests/util/process.h"

namespace minga::bench {
namespace {

namespace fs = std::filesystem;
using testing::FreePort;
using testing::Process;
using testing::Run;
using testing::RunResult;

constexpr char kUsage[] =
    R"(minga-sync-bench: Minga beside PouchDB on a catalog's sync workload

Usage: minga-sync-bench [--materials N] [--runs R] [--dir DIR] [--seed S]
                        [--changes C] [--idle-seconds S] [--no-pouchdb]
                        [--no-hops] [--compression zstd|gzip|none]
                        [--format table|json|both] [--keep]

  --materials N     materials in the catalog (default 100000)
  --runs R          runs of the load and initial pull of each system; the
                    table shows medians (default 3)
  --dir DIR         where the nodes and stores go (default ./minga-sync-bench;
                    a real disk: on tmpfs fsync costs nothing)
  --seed S          corpus seed (default 1)
  --changes C       changes timed across three hops (default 100)
  --idle-seconds S  how long the idle cost is measured (default 10)
  --no-pouchdb      Minga only (PouchDB needs Node.js and bench/pouchdb's
                    packages: `npm ci --prefix bench/pouchdb`)
  --no-hops         skip the three-hop line (C and D), which at a million
                    materials means two more full pulls and indexes
  --compression C   how Minga's pulls travel (the nodes' sync.compression):
                    zstd (default), gzip (gRPC's) or none
  --keep            keep DIR afterwards

What it runs, for each system on the same documents:
  load      N materials into node A (`minga import` of a JSON Lines file;
            PouchDB: bulkDocs of 500 over HTTP)
  restart   A stopped and started again, until it answers (Minga)
  pull      node B, A's partner over mutual TLS (PouchDB: HTTP), pulls all
            N from A through a byte-counting proxy: time until durable,
            and until searchable (Minga's index caught up); CPU of B
  idle      bytes per second and CPU while following with nothing new
  1%        N/100 new materials at A, until B holds them
  3 hops    a line A <- B <- C <- D, all following and their indexes caught
            up: C changes made at A one by one, each timed until D holds
            it (Minga); then this disk's own fsync latency, for context
  status    the admin Status call at B once it holds everything (median of 21)
  store     bytes on disk of A and B after a clean stop, and their peak
            resident memory
The RocksDB fill rate of `db_bench` (Debian rocksdb-tools) for the same
value size is printed beside Minga's load when db_bench is installed.
)";

// One minga-node process with its own directory, config and admin stubs.
class Node {
 public:
  Node(const fs::path& root, std::string org, int port)
      : org_(std::move(org)), dir_(root / org_), port_(port) {
    fs::create_directories(dir_);
  }
  ~Node() { Kill(); }

  const std::string& org() const { return org_; }
  int port() const { return port_; }
  fs::path data_dir() const { return dir_ / "data"; }
  pid_t pid() const { return process_.pid(); }

  void WriteConfig(const fs::path& certs, const std::string& peers,
                   const std::string& compression) {
    std::ofstream(dir_ / "node.textproto")
        << "org_id: \"" << org_ << "\"\ndata_dir: \"data\"\n"
        << "listen: \"127.0.0.1:" << port_ << "\"\n"
        << "federation_file: \"../federation.textproto\"\n"
        << "tls { ca_file: \"" << (certs / "ca.pem").string() << "\" cert_file: \""
        << (certs / (org_ + ".pem")).string() << "\" key_file: \""
        << (certs / (org_ + ".key")).string() << "\" }\n"
        << "sync { compression: \"" << compression << "\" }\n"
        << peers;
  }
  // The node's public key, made on first use.
  std::string Init() {
    RunResult r = Run({MINGA_NODE_BIN, "--config", (dir_ / "node.textproto").string(), "--init"});
    const std::string marker = "signing_public_key: ";
    const size_t at = r.out.find(marker);
    if (r.exit_code != 0 || at == std::string::npos) return "";
    std::string key = r.out.substr(at + marker.size());
    return key.substr(0, key.find('\n'));
  }
  // Starts the process and waits until its admin API answers.
  bool Start() {
    if (!process_.Start({MINGA_NODE_BIN, "--config", (dir_ / "node.textproto").string()},
                        (dir_ / "node.log").string())) {
      return false;
    }
    // A new channel for each try while the node starts: a channel that
    // failed to connect waits out gRPC's back-off (a second or more), which
    // would be timed as the node's start.
    return WaitFor(
        [&] {
          auto channel =
              grpc::CreateChannel(absl::StrCat("unix:", (data_dir() / "admin.sock").string()),
                                  grpc::InsecureChannelCredentials());
          admin_ = v1::Admin::NewStub(channel);
          catalog_ = v1::Catalog::NewStub(channel);
          return Status().has_value();
        },
        absl::Seconds(60), absl::Milliseconds(2));
  }
  int Stop() {
    process_.Signal(SIGTERM);
    return process_.Wait(absl::Seconds(60));
  }
  void Kill() {
    if (process_.running()) {
      process_.Signal(SIGKILL);
      process_.Wait();
    }
  }
  std::string log() const { return testing::ReadFileOrEmpty((dir_ / "node.log").string()); }

  std::optional<v1::StatusResponse> Status() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::StatusResponse response;
    if (!admin_->Status(&context, v1::StatusRequest(), &response).ok()) return std::nullopt;
    return response;
  }
  // The checkpoint this node holds for `peer` (0 if unknown).
  uint64_t Checkpoint(const std::string& peer) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::PeersResponse response;
    if (!admin_->Peers(&context, v1::PeersRequest(), &response).ok()) return 0;
    for (const v1::PeerStatus& p : response.peers()) {
      if (p.org_id() == peer) return p.checkpoint();
    }
    return 0;
  }
  bool Has(const std::string& id) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::GetRequest request;
    request.set_id(id);
    v1::GetResponse response;
    return catalog_->Get(&context, request, &response).ok();
  }
  absl::Status Put(const v1::Material& m) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::PutRequest request;
    *request.mutable_material() = m;
    v1::PutResponse response;
    grpc::Status s = catalog_->Put(&context, request, &response);
    return s.ok() ? absl::OkStatus() : absl::InternalError(s.error_message());
  }
  RunResult Client(std::vector<std::string> args) {
    std::vector<std::string> argv = {MINGA_CLIENT_BIN, "--node",
                                     absl::StrCat("unix:", (data_dir() / "admin.sock").string())};
    argv.insert(argv.end(), args.begin(), args.end());
    return Run(argv, "", absl::Hours(2));
  }

 private:
  std::string org_;
  fs::path dir_;
  int port_;
  Process process_;
  std::unique_ptr<v1::Admin::Stub> admin_;
  std::unique_ptr<v1::Catalog::Stub> catalog_;
};

struct Options {
  uint64_t materials = 100000;
  int runs = 3;
  fs::path dir = "minga-sync-bench";
  uint64_t seed = 1;
  int changes = 100;
  double idle_seconds = 10;
  bool pouchdb = true;
  std::string format = "both";
  bool keep = false;
  bool hops = true;
  std::string compression = "zstd";
};

// Figures of one system, by name (see Row below for the names).
using Figures = std::map<std::string, double>;

class Bench {
 public:
  explicit Bench(Options o) : o_(std::move(o)) {}

  absl::Status Prepare() {
    fs::remove_all(o_.dir);
    fs::create_directories(o_.dir);
    absl::StatusOr<Corpus> corpus =
        Corpus::FromSamples(MINGA_SOURCE_DIR "/config/samples/materials.json", o_.seed);
    if (!corpus.ok()) return corpus.status();
    // The same documents for both systems: Minga's import format, and the
    // same object with PouchDB's _id.
    // Minga's in files of at most kPartMaterials: `minga import` reads a
    // file whole and refuses one over 256 MiB.
    std::ofstream minga, pouch(o_.dir / "pouchdb.jsonl");
    std::ofstream minga_more(o_.dir / "more.jsonl"), pouch_more(o_.dir / "pouchdb-more.jsonl");
    const uint64_t more = std::max<uint64_t>(1, o_.materials / 100);
    uint64_t value_bytes = 0;
    for (uint64_t i = 0; i < o_.materials + more; ++i) {
      const v1::Material m = corpus->Make(i);
      const std::string json = MaterialToJson(m, v1::Audience());
      value_bytes += m.ByteSizeLong();
      if (i < o_.materials && i % kPartMaterials == 0) {
        minga = std::ofstream(o_.dir / absl::StrCat("materials-", parts_++, ".jsonl"));
      }
      (i < o_.materials ? minga : minga_more) << json << "\n";
      (i < o_.materials ? pouch : pouch_more)
          << "{\"_id\":\"" << m.id() << "\"," << json.substr(1) << "\n";
    }
    more_ = more;
    value_bytes_ = value_bytes / (o_.materials + more);
    for (uint64_t i = 0; i < static_cast<uint64_t>(o_.changes); ++i) {
      v1::Material m = corpus->Make(o_.materials + more + i);
      m.set_id(absl::StrCat("hop", i));
      hop_materials_.push_back(std::move(m));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<Figures> RunMinga() {
    std::vector<Figures> runs;
    for (int run = 0; run < o_.runs; ++run) {
      const bool last = run == o_.runs - 1;
      absl::StatusOr<Figures> f = MingaRun(run, last);
      if (!f.ok()) return f.status();
      runs.push_back(*f);
      std::fprintf(stderr, "minga run %d: pull %.1f s\n", run + 1, (*f)["pull_seconds"]);
    }
    return Medians(runs);
  }

  absl::StatusOr<Figures> RunPouchDb() {
    const fs::path pouch_dir = fs::path(MINGA_SOURCE_DIR) / "bench" / "pouchdb";
    if (!fs::exists(pouch_dir / "node_modules" / "pouchdb")) {
      return absl::FailedPreconditionError(
          absl::StrCat("PouchDB is not installed: run `npm ci --prefix ", pouch_dir.string(),
                       "` (or pass --no-pouchdb)"));
    }
    RunResult r = Run(
        {"/usr/bin/env", "node", (pouch_dir / "pouchdb_bench.js").string(), "--docs",
         (o_.dir / "pouchdb.jsonl").string(), "--more", (o_.dir / "pouchdb-more.jsonl").string(),
         "--dir", (fs::absolute(o_.dir) / "pouchdb").string(), "--runs", absl::StrCat(o_.runs),
         "--idle-seconds", absl::StrCat(o_.idle_seconds)},
        "", absl::Hours(4));
    if (r.exit_code != 0) {
      return absl::InternalError(absl::StrCat("PouchDB's run failed: ", r.err));
    }
    Figures f;
    for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits(' ', 1));
      double v = 0;
      if (absl::SimpleAtod(kv.second, &v)) {
        f[kv.first] = v;
      } else if (kv.first == "versions") {
        pouch_versions_ = kv.second;
      }
    }
    f["load_per_second"] = o_.materials / f["load_seconds"];
    f["pull_per_second"] = o_.materials / f["pull_seconds"];
    f["wire_bytes_per_material"] = f["wire_bytes"] / o_.materials;
    return f;
  }

  // RocksDB's own fill rate for values of the size Minga stores, in
  // batches of 500 with a synced write each, as `minga import` writes.
  std::optional<double> DbBenchFillRate() {
    if (!fs::exists("/usr/bin/db_bench")) return std::nullopt;
    RunResult r =
        Run({"/usr/bin/db_bench", "--benchmarks=fillrandom", absl::StrCat("--num=", o_.materials),
             "--key_size=24", absl::StrCat("--value_size=", value_bytes_), "--batch_size=500",
             "--sync=1", "--compression_type=lz4", "--threads=1",
             absl::StrCat("--db=", (fs::absolute(o_.dir) / "db_bench").string())},
            "", absl::Hours(1));
    fs::remove_all(o_.dir / "db_bench");
    std::smatch m;
    static const std::regex ops(R"(fillrandom\s*:\s*[0-9.]+ micros/op ([0-9]+) ops/sec)");
    if (r.exit_code != 0 || !std::regex_search(r.out, m, ops)) return std::nullopt;
    return std::stod(m[1]);
  }

  // This disk's own latency for what every hop waits on: a small write
  // made durable (p50 and p99 of 300, in ms), in the benchmark's directory.
  std::optional<std::pair<double, double>> FsyncLatency() {
    const std::string path = (o_.dir / "fsync-probe").string();
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return std::nullopt;
    const std::string block(4096, 'x');
    std::vector<double> ms;
    for (int i = 0; i < 300; ++i) {
      if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) break;
      const auto t = Steady::now();
      if (::fdatasync(fd) != 0) break;
      ms.push_back(Seconds(t) * 1000);
    }
    ::close(fd);
    fs::remove(path);
    if (ms.size() < 300) return std::nullopt;
    return std::make_pair(Percentile(ms, 0.5), Percentile(ms, 0.99));
  }

  uint64_t value_bytes() const { return value_bytes_; }
  const std::string& pouch_versions() const { return pouch_versions_; }

 private:
  static Figures Medians(const std::vector<Figures>& runs) {
    std::map<std::string, std::vector<double>> all;
    for (const Figures& f : runs) {
      for (const auto& [k, v] : f) all[k].push_back(v);
    }
    Figures out;
    for (auto& [k, v] : all) out[k] = Median(v);
    return out;
  }

  absl::Status MakeFederation(const fs::path& root, std::vector<std::unique_ptr<Node>>& nodes) {
    const fs::path certs = root / "certs";
    std::vector<std::string> argv = {"/bin/bash", MINGA_SOURCE_DIR "/scripts/make-certs.sh",
                                     certs.string()};
    for (auto& n : nodes) argv.push_back(n->org());
    RunResult made = Run(argv);
    if (made.exit_code != 0) return absl::InternalError("make-certs.sh failed: " + made.err);
    std::string federation = "name: \"minga-sync-bench\"\n";
    for (size_t i = 0; i < nodes.size(); ++i) {
      // In a line: each pulls from the one before it; B pulls from A
      // through the counting proxy.
      std::string peers;
      if (i > 0) {
        peers = absl::StrCat("peers { org_id: \"", nodes[i - 1]->org(), "\" address: \"127.0.0.1:",
                             i == 1 ? proxy_port_ : nodes[i - 1]->port(), "\" }\n");
      }
      nodes[i]->WriteConfig(certs, peers, o_.compression);
      const std::string key = nodes[i]->Init();
      if (key.empty()) return absl::InternalError("minga-node --init failed");
      absl::StrAppend(&federation, "members { org_id: \"", nodes[i]->org(),
                      "\" signing_public_key: \"", key,
                      "\" addresses: \"127.0.0.1:", nodes[i]->port(), "\" }\n");
    }
    std::ofstream(root / "federation.textproto") << federation;
    return absl::OkStatus();
  }

  absl::StatusOr<Figures> MingaRun(int run, bool last) {
    const fs::path root = fs::absolute(o_.dir) / absl::StrCat("minga-", run);
    fs::remove_all(root);
    std::vector<std::unique_ptr<Node>> nodes;
    for (const char* org : {"org-a", "org-b", "org-c", "org-d"}) {
      nodes.push_back(std::make_unique<Node>(root, org, FreePort()));
    }
    Node& a = *nodes[0];
    Node& b = *nodes[1];
    proxy_port_ = FreePort();
    CountingProxy proxy;
    if (absl::Status s = proxy.Start(proxy_port_, a.port()); !s.ok()) return s;
    if (absl::Status s = MakeFederation(root, nodes); !s.ok()) return s;
    Figures f;
    auto fail = [](Node& n, absl::string_view what) {
      return absl::InternalError(absl::StrCat(n.org(), ": ", what, "\n", n.log()));
    };

    // Load.
    if (!a.Start()) return fail(a, "did not start");
    auto start = Steady::now();
    for (int part = 0; part < parts_; ++part) {
      RunResult imported = a.Client(
          {"import", (fs::absolute(o_.dir) / absl::StrCat("materials-", part, ".jsonl")).string()});
      if (imported.exit_code != 0) return fail(a, "import failed: " + imported.err);
    }
    f["load_seconds"] = Seconds(start);
    f["load_per_second"] = o_.materials / f["load_seconds"];

    // Restart: stopped cleanly, started again until it answers.
    if (a.Stop() != 0) return fail(a, "did not stop cleanly");
    start = Steady::now();
    if (!a.Start()) return fail(a, "did not restart");
    f["restart_seconds"] = Seconds(start);
    std::optional<v1::StatusResponse> status_a = a.Status();
    if (!status_a.has_value()) return fail(a, "no status");
    const uint64_t head = status_a->head_lseq();

    // Initial pull.
    proxy.Reset();
    start = Steady::now();
    if (!b.Start()) return fail(b, "did not start");
    if (!WaitFor([&] { return b.Checkpoint(a.org()) >= head; }, absl::Hours(1))) {
      return fail(b, "did not catch up");
    }
    f["pull_seconds"] = Seconds(start);
    f["pull_cpu_seconds"] = CpuSeconds(b.pid());
    f["wire_bytes"] = static_cast<double>(proxy.bytes());
    auto searchable = [&](Node& n) {
      std::optional<v1::StatusResponse> s = n.Status();
      return s.has_value() && s->index_lag() == 0 && s->index_position() >= s->head_lseq();
    };
    if (!WaitFor([&] { return searchable(b); }, absl::Hours(1), absl::Milliseconds(20))) {
      return fail(b, "search index did not catch up");
    }
    f["searchable_seconds"] = Seconds(start);
    {
      // `minga status` at the puller: the admin call alone, median of 21.
      std::vector<double> ms;
      for (int i = 0; i < 21; ++i) {
        const auto t = Steady::now();
        if (!b.Status().has_value()) return fail(b, "no status");
        ms.push_back(Seconds(t) * 1000);
      }
      f["status_ms"] = Percentile(ms, 0.5);
    }
    f["pull_per_second"] = o_.materials / f["pull_seconds"];
    f["wire_bytes_per_material"] = f["wire_bytes"] / o_.materials;

    if (last) {
      // Idle: both following, nothing new.
      const uint64_t bytes = proxy.bytes();
      const double cpu = CpuSeconds(a.pid()) + CpuSeconds(b.pid());
      absl::SleepFor(absl::Seconds(o_.idle_seconds));  // the measurement window
      f["idle_bytes_per_second"] = (proxy.bytes() - bytes) / o_.idle_seconds;
      f["idle_cpu_percent"] =
          (CpuSeconds(a.pid()) + CpuSeconds(b.pid()) - cpu) / o_.idle_seconds * 100;

      // 1%: new materials at A, until B's checkpoint covers them.
      start = Steady::now();
      RunResult more = a.Client({"import", (fs::absolute(o_.dir) / "more.jsonl").string()});
      if (more.exit_code != 0) return fail(a, "import failed: " + more.err);
      const double import_seconds = Seconds(start);
      const uint64_t new_head = a.Status()->head_lseq();
      if (!WaitFor([&] { return b.Checkpoint(a.org()) >= new_head; }, absl::Minutes(10),
                   absl::Milliseconds(1))) {
        return fail(b, "did not pull the 1%");
      }
      f["incremental_seconds"] = Seconds(start) - import_seconds;
    }

    if (last && o_.hops) {
      // Three hops: C and D join the line and catch up, then each change at
      // A is timed until D holds it.
      Node& c = *nodes[2];
      Node& d = *nodes[3];
      if (!c.Start()) return fail(c, "did not start");
      if (!d.Start()) return fail(d, "did not start");
      const uint64_t b_head = b.Status()->head_lseq();
      if (!WaitFor([&] { return c.Checkpoint(b.org()) >= b_head; }, absl::Hours(1),
                   absl::Milliseconds(50))) {
        return fail(c, "did not catch up");
      }
      const uint64_t c_head = c.Status()->head_lseq();
      if (!WaitFor([&] { return d.Checkpoint(c.org()) >= c_head; }, absl::Hours(1),
                   absl::Milliseconds(50))) {
        return fail(d, "did not catch up");
      }
      // Following, at rest: the indexes of the line have caught up too, so
      // the figure is the latency of a change, not of a node still
      // indexing a whole catalog in the background.
      for (Node* n : {&b, &c, &d}) {
        if (!WaitFor([&] { return searchable(*n); }, absl::Hours(1), absl::Milliseconds(50))) {
          return fail(*n, "search index did not catch up");
        }
      }
      std::vector<double> latencies;
      for (const v1::Material& m : hop_materials_) {
        const std::string id = absl::StrCat(a.org(), "/", m.id());
        start = Steady::now();
        if (absl::Status s = a.Put(m); !s.ok()) return fail(a, s.message());
        if (!WaitFor([&] { return d.Has(id); }, absl::Minutes(1), absl::Microseconds(200))) {
          return fail(d, absl::StrCat(id, " never arrived"));
        }
        latencies.push_back(Seconds(start) * 1000);
      }
      f["hops_p50_ms"] = Percentile(latencies, 0.5);
      f["hops_p90_ms"] = Percentile(latencies, 0.9);
      f["hops_p99_ms"] = Percentile(latencies, 0.99);
      // Each change is made durable four times in a row (A's write, then
      // each hop's) before D holds it: the disk's tail is the floor.
      if (std::optional<std::pair<double, double>> disk = FsyncLatency()) {
        f["disk_fsync_p50_ms"] = disk->first;
        f["disk_fsync_p99_ms"] = disk->second;
      }
    }
    f["peak_mib_source"] = PeakMib(a.pid());
    f["peak_mib_puller"] = PeakMib(b.pid());
    for (auto& n : nodes) {
      if (n->pid() > 0 && n->Stop() != 0) return fail(*n, "did not stop cleanly");
    }
    // At rest: a running node also holds up to 64 MiB of write-ahead log,
    // which a clean stop flushes and removes.
    f["store_bytes_source"] = static_cast<double>(DirBytes(a.data_dir() / "store"));
    f["store_bytes_puller"] = static_cast<double>(DirBytes(b.data_dir() / "store"));
    f["data_dir_bytes_puller"] = static_cast<double>(DirBytes(b.data_dir()));
    proxy.Stop();
    if (!o_.keep) fs::remove_all(root);
    return f;
  }

  Options o_;
  static constexpr uint64_t kPartMaterials = 100000;
  int parts_ = 0;
  uint64_t more_ = 0;
  uint64_t value_bytes_ = 0;
  int proxy_port_ = 0;
  std::vector<v1::Material> hop_materials_;
  std::string pouch_versions_;
};

// One row of the table: Minga's figure, PouchDB's, their ratio (oriented so
// that above 1 means Minga is better) and the target it is judged by.
struct Row {
  std::string name, unit;
  bool higher_is_better;
  std::string target = "";  // text; empty for context only
  std::function<bool(double minga, double ratio)> met = nullptr;
};

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "minga-sync-bench: %s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&](auto* out) {
      const std::string v = value();
      bool ok;
      if constexpr (std::is_same_v<std::remove_pointer_t<decltype(out)>, double>) {
        ok = absl::SimpleAtod(v, out) && *out > 0;
      } else {
        ok = absl::SimpleAtoi(v, out) && *out > 0;
      }
      if (!ok) {
        std::fprintf(stderr, "minga-sync-bench: %s: '%s' is not a positive number\n", flag.c_str(),
                     v.c_str());
        std::exit(2);
      }
    };
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (flag == "--materials") {
      number(&o.materials);
    } else if (flag == "--runs") {
      number(&o.runs);
    } else if (flag == "--dir") {
      o.dir = value();
    } else if (flag == "--seed") {
      number(&o.seed);
    } else if (flag == "--changes") {
      number(&o.changes);
    } else if (flag == "--idle-seconds") {
      number(&o.idle_seconds);
    } else if (flag == "--no-pouchdb") {
      o.pouchdb = false;
    } else if (flag == "--compression") {
      o.compression = value();
      if (o.compression != "zstd" && o.compression != "gzip" && o.compression != "none") {
        std::fprintf(stderr, "minga-sync-bench: --compression: '%s' is not zstd, gzip or none\n",
                     o.compression.c_str());
        return 2;
      }
    } else if (flag == "--no-hops") {
      o.hops = false;
    } else if (flag == "--keep") {
      o.keep = true;
    } else if (flag == "--format") {
      o.format = value();
      if (o.format != "table" && o.format != "json" && o.format != "both") {
        std::fprintf(stderr, "minga-sync-bench: --format: '%s' is not table, json or both\n",
                     o.format.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "minga-sync-bench: unknown flag '%s' (see --help)\n", flag.c_str());
      return 2;
    }
  }

  Bench bench(o);
  if (absl::Status s = bench.Prepare(); !s.ok()) {
    std::fprintf(stderr, "minga-sync-bench: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  Figures pouch;
  if (o.pouchdb) {
    absl::StatusOr<Figures> p = bench.RunPouchDb();
    if (!p.ok()) {
      std::fprintf(stderr, "minga-sync-bench: %s\n", std::string(p.status().message()).c_str());
      return 1;
    }
    pouch = *p;
  }
  absl::StatusOr<Figures> m = bench.RunMinga();
  if (!m.ok()) {
    std::fprintf(stderr, "minga-sync-bench: %s\n", std::string(m.status().message()).c_str());
    return 1;
  }
  Figures minga = *m;
  const std::optional<double> db_bench = bench.DbBenchFillRate();
  if (!o.keep) fs::remove_all(o.dir);

  const std::vector<Row> rows = {
      {"load_per_second", "materials/s", true, ">= 5x PouchDB",
       [](double, double r) { return r >= 5; }},
      {"restart_seconds", "s", false, "< 1", [](double v, double) { return v < 1; }},
      {"pull_per_second", "materials/s", true, ">= 10x PouchDB",
       [](double, double r) { return r >= 10; }},
      {"pull_seconds", "s", false},
      {"searchable_seconds", "s", false},
      {"pull_cpu_seconds", "s", false},
      {"wire_bytes_per_material", "bytes", false, "<= PouchDB",
       [](double, double r) { return r >= 1; }},
      {"status_ms", "ms", false, "< 50", [](double v, double) { return v < 50; }},
      {"idle_bytes_per_second", "bytes/s", false},
      {"idle_cpu_percent", "%", false},
      {"incremental_seconds", "s", false, "< 0.1", [](double v, double) { return v < 0.1; }},
      {"hops_p50_ms", "ms", false},
      {"hops_p90_ms", "ms", false},
      {"hops_p99_ms", "ms", false, "< 20", [](double v, double) { return v < 20; }},
      {"disk_fsync_p50_ms", "ms", false},
      {"disk_fsync_p99_ms", "ms", false},
      {"store_bytes_source", "bytes", false, "<= PouchDB", [](double, double r) { return r >= 1; }},
      {"store_bytes_puller", "bytes", false, "<= PouchDB", [](double, double r) { return r >= 1; }},
      {"data_dir_bytes_puller", "bytes", false},
      {"peak_mib_source", "MiB", false},
      {"peak_mib_puller", "MiB", false, "< 200", [](double v, double) { return v < 200; }},
  };
  struct Line {
    std::string name, unit, target;
    double minga;
    std::optional<double> pouch, ratio;
    std::optional<bool> met;
  };
  std::vector<Line> lines;
  for (const Row& row : rows) {
    if (!minga.count(row.name)) continue;
    Line l{row.name,     row.unit,     row.target,  minga[row.name],
           std::nullopt, std::nullopt, std::nullopt};
    // PouchDB's figure is shown even when Minga's is zero (an idle stream
    // that sent nothing); the ratio needs both.
    if (pouch.count(row.name)) {
      l.pouch = pouch[row.name];
      if (*l.pouch > 0 && l.minga > 0) {
        l.ratio = row.higher_is_better ? l.minga / *l.pouch : *l.pouch / l.minga;
      }
    }
    const bool needs_ratio = absl::StrContains(row.target, "PouchDB");
    if (row.met && (!needs_ratio || l.ratio.has_value())) {
      l.met = row.met(l.minga, l.ratio.value_or(0));
    }
    lines.push_back(l);
  }
  if (db_bench.has_value()) {
    lines.push_back({"db_bench_fill_per_second", "materials/s", "", *db_bench, std::nullopt,
                     minga["load_per_second"] / *db_bench, std::nullopt});
  }

  if (o.format != "json") {
    std::printf("%-26s %14s %14s %9s  %-12s %-15s %s\n", "result", "minga", "pouchdb", "ratio",
                "unit", "target", "reached");
    for (const Line& l : lines) {
      std::printf("%-26s %14.2f %14s %9s  %-12s %-15s %s\n", l.name.c_str(), l.minga,
                  l.pouch ? absl::StrFormat("%.2f", *l.pouch).c_str() : "-",
                  l.ratio ? absl::StrFormat("%.2fx", *l.ratio).c_str() : "-", l.unit.c_str(),
                  l.target.empty() ? "-" : l.target.c_str(),
                  l.met.has_value() ? (*l.met ? "yes" : "NO") : "");
    }
    std::printf(
        "(%llu materials of %llu bytes (protobuf), medians of %d runs, %u "
        "cores; ratio > 1: "
        "Minga better%s%s; db_bench ratio: Minga's load over RocksDB's own "
        "fill rate)\n",
        static_cast<unsigned long long>(o.materials),
        static_cast<unsigned long long>(bench.value_bytes()), o.runs,
        std::thread::hardware_concurrency(), bench.pouch_versions().empty() ? "" : "; ",
        bench.pouch_versions().c_str());
  }
  if (o.format != "table") {
    std::string json =
        absl::StrCat("{\"materials\":", o.materials, ",\"runs\":", o.runs, ",\"results\":{");
    for (size_t i = 0; i < lines.size(); ++i) {
      const Line& l = lines[i];
      absl::StrAppend(&json, i ? "," : "", "\"", l.name,
                      "\":{\"minga\":", absl::StrFormat("%.3f", l.minga), ",\"unit\":\"", l.unit,
                      "\"");
      if (l.pouch) absl::StrAppend(&json, ",\"pouchdb\":", absl::StrFormat("%.3f", *l.pouch));
      if (l.ratio) absl::StrAppend(&json, ",\"ratio\":", absl::StrFormat("%.3f", *l.ratio));
      if (!l.target.empty()) absl::StrAppend(&json, ",\"target\":\"", l.target, "\"");
      if (l.met) absl::StrAppend(&json, ",\"reached\":", *l.met ? "true" : "false");
      absl::StrAppend(&json, "}");
    }
    std::printf("%s}}\n", json.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace minga::bench

int main(int argc, char** argv) { return minga::bench::Main(argc, argv); }
