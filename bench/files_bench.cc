// minga-files-bench: files between two Minga nodes beside rsync and
// Syncthing, in one run.
// Generates a corpus of videos and documents (random bytes, which nothing
// compresses), then for Minga: attaches it at node A, starts node B as A's
// partner over mutual TLS and times until B holds every file; then a video
// replaced and a 1 MiB region overwritten inside another, each until B
// holds the new content. For rsync: the same corpus from an rsync daemon on
// loopback, and the same two edits; for Syncthing, two instances on
// loopback (bench/syncthing_pair.h). Bytes on the wire are counted by the
// same TCP proxy for all. Prints a table with the ratios and one JSON
// object.
// One program, run top to bottom: its length is its scenarios.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bench/measure.h"
#include "bench/syncthing_pair.h"
#include "bench/tcp_proxy.h"
#include "minga/v1/admin.grpc.pb.h"
#include "minga/v1/catalog.grpc.pb.h"
#include "node/core/chunker.h"
#include "node/core/status_macros.h"
#include "tests/util/federation_harness.h"
#include "tests/util/process.h"

namespace minga::bench {
namespace {

namespace fs = std::filesystem;
using testing::FederationHarness;
using testing::FreePort;
using testing::NodeHarness;
using testing::Process;
using testing::Run;

constexpr uint64_t kMiB = 1 << 20;

constexpr char kUsage[] =
    R"(minga-files-bench: files between two Minga nodes beside rsync and Syncthing

Usage: minga-files-bench [--videos N] [--video-mib M] [--documents N]
                         [--runs R] [--dir DIR] [--no-rsync] [--no-syncthing]
                         [--format table|json|both] [--keep]

  --videos N      videos in the corpus (default 25)
  --video-mib M   size of each video in MiB (default 30)
  --documents N   documents of 0.2 to 2 MiB (default 60)
  --runs R        runs of each system; the table shows medians (default 3)
  --dir DIR       where the corpus, nodes and copies go (default
                  ./minga-files-bench; a real disk: on tmpfs fsync is free)
  --no-rsync      leave rsync out (it needs Debian's rsync)
  --no-syncthing  leave Syncthing out (it needs Debian's syncthing)
  --keep          keep DIR afterwards

What it runs, for each system on the same files (random bytes):
  ingest    Minga: `minga attach` of the corpus at node A (materials of at
            most 64 files); Syncthing: A's start and first scan
  sync      B, A's partner, until it holds every file, then `sync` (each
            system's copy is durable): Minga over mutual TLS from B's
            start; rsync a pull from its daemon on loopback; Syncthing
            (TLS) from resuming B's peer until its folder needs nothing
  replace   one video replaced by new content, until B holds it (and
            `sync`)
  overwrite 1 MiB overwritten inside another video, likewise
  Bytes on the wire are counted by a TCP proxy between B and A; peak
  resident memory of both nodes (Minga, Syncthing) is read from /proc.
  Syncthing runs with discovery, relays, NAT traversal, usage reports and
  upgrades off; B dials A through the proxy.
)";

struct Flags {
  int videos = 25;
  int video_mib = 30;
  int documents = 60;
  int runs = 3;
  std::string dir = "minga-files-bench";
  bool rsync = true;
  bool syncthing = true;
  std::string format = "both";
  bool keep = false;
};

// One scenario's figures in one run.
struct Step {
  double seconds = 0;
  uint64_t wire_bytes = 0;
};

struct RunResult {
  Step ingest, sync, replace, overwrite;
  double peak_mib_a = 0, peak_mib_b = 0;
};

void WriteRandom(const fs::path& path, uint64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string buf(kMiB, '\0');
  std::ofstream out(path, std::ios::binary);
  for (uint64_t done = 0; done < size; done += kMiB) {
    for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
      const uint64_t v = rng();
      std::memcpy(&buf[i], &v, 8);
    }
    out.write(buf.data(), static_cast<std::streamsize>(std::min<uint64_t>(kMiB, size - done)));
  }
}

// The corpus, fresh and the same for every run: videos, then documents.
std::vector<fs::path> MakeCorpus(const Flags& f, const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<fs::path> files;
  std::mt19937_64 sizes(7);
  for (int i = 0; i < f.videos; ++i) {
    files.push_back(dir / absl::StrFormat("video-%03d.mp4", i));
    WriteRandom(files.back(), uint64_t(f.video_mib) * kMiB, 1000 + i);
  }
  for (int i = 0; i < f.documents; ++i) {
    files.push_back(dir / absl::StrFormat("document-%03d.pdf", i));
    WriteRandom(files.back(), 200 * 1024 + sizes() % (1800 * 1024), 2000 + i);
  }
  return files;
}

uint64_t CorpusBytes(const std::vector<fs::path>& files) {
  uint64_t total = 0;
  for (const fs::path& p : files) total += fs::file_size(p);
  return total;
}

// The two edits, the same for every system: video 0 replaced by new
// content, and 1 MiB overwritten inside video 1 (or the first files, when
// there are fewer videos).
// An edit also moves the file's time an hour on, so rsync, which compares
// size and time (in seconds), sees the change however fast it came.
void Touch(const fs::path& path) {
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::hours(1));
}
void ReplaceFile(const fs::path& path) {
  WriteRandom(path, fs::file_size(path), 99);
  Touch(path);
}
void OverwriteInside(const fs::path& path) {
  const uint64_t size = fs::file_size(path);
  const uint64_t at = size > 2 * kMiB ? size / 2 + 12345 : 0;
  std::string region(std::min<uint64_t>(kMiB, size - at), '\0');
  std::mt19937_64 rng(98);
  for (char& c : region) c = static_cast<char>(rng());
  std::fstream out(path, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(static_cast<std::streamoff>(at));
  out.write(region.data(), static_cast<std::streamsize>(region.size()));
  out.close();
  Touch(path);
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// How one system takes an edit: makes `change` to `path`, then times until
// B holds the new content.
using EditFn = std::function<absl::StatusOr<Step>(
    const fs::path& path, const std::function<void(const fs::path&)>& change)>;

// The two edits every system takes, in order: a video replaced, then 1 MiB
// overwritten inside another.
absl::Status TimeEdits(const std::vector<fs::path>& files, const EditFn& edit, RunResult& r) {
  ASSIGN_OR_RETURN(r.replace, edit(files[0], ReplaceFile));
  ASSIGN_OR_RETURN(r.overwrite,
                   edit(files[std::min<size_t>(1, files.size() - 1)], OverwriteInside));
  return absl::OkStatus();
}

// Asks a node how far it is through its admin socket, on one channel: a
// `minga` process per poll would cost the machine more than the node's
// answer (loading the client's libraries), and slow the nodes it times.
class Probe {
 public:
  explicit Probe(const std::string& socket) {
    auto channel = grpc::CreateChannel("unix:" + socket, grpc::InsecureChannelCredentials());
    admin_ = v1::Admin::NewStub(channel);
    catalog_ = v1::Catalog::NewStub(channel);
  }
  // Chunks the node stores, or nullopt when it does not answer.
  std::optional<uint64_t> ChunksStored() {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::StatusResponse response;
    if (!admin_->Status(&context, v1::StatusRequest(), &response).ok()) return std::nullopt;
    return response.chunks_stored();
  }
  // Every file of material `id` is complete, and one has SHA-256 `sha`
  // (raw bytes; empty: any).
  bool FilesComplete(const std::string& id, const std::string& sha) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::ListFilesRequest request;
    request.set_id(id);
    v1::ListFilesResponse response;
    if (!catalog_->ListFiles(&context, request, &response).ok()) return false;
    bool has_sha = sha.empty();
    for (const v1::FileState& f : response.files()) {
      if (!f.complete()) return false;
      has_sha = has_sha || f.file().sha256() == sha;
    }
    return response.files_size() > 0 && has_sha;
  }

 private:
  std::unique_ptr<v1::Admin::Stub> admin_;
  std::unique_ptr<v1::Catalog::Stub> catalog_;
};

// Minga: A holds the corpus in materials of at most 64 files; B pulls from
// A through the proxy.
absl::StatusOr<RunResult> RunMinga(const Flags& f, const fs::path& root,
                                   const std::vector<fs::path>& files) {
  RunResult r;
  fs::remove_all(root);
  fs::create_directories(root);
  // On any error the harness's destructors stop both nodes.
  FederationHarness fed(root.string(), {"fuente", "destino"});
  const int proxy_port = FreePort();
  fed.LinkWith(1, 0, absl::StrCat("address: \"127.0.0.1:", proxy_port, "\""));
  if (!fed.Setup() || !fed.node(0).Start()) {
    return absl::UnavailableError(absl::StrCat("node A did not start\n", fed.node(0).log()));
  }
  CountingProxy proxy;
  RETURN_IF_ERROR(proxy.Start(proxy_port, fed.port(0)));
  NodeHarness& a = fed.node(0);
  NodeHarness& b = fed.node(1);
  auto must = [](const testing::RunResult& run, const char* what) {
    return run.exit_code == 0 ? absl::OkStatus()
                              : absl::UnavailableError(absl::StrCat(what, " failed: ", run.err));
  };
  // Which material holds each file.
  std::map<std::string, std::string> material_of;
  std::vector<std::string> materials;
  auto start = Steady::now();
  for (size_t i = 0; i < files.size(); i += 64) {
    const std::string id = absl::StrCat("files-", i / 64);
    RETURN_IF_ERROR(must(a.Client({"put", "--id", id, "--title", "Videos y documentos", "--kind",
                                   "training", "--sector", "health"}),
                         "put"));
    std::vector<std::string> args = {"attach", "fuente/" + id};
    for (size_t j = i; j < std::min(files.size(), i + 64); ++j) {
      args.push_back(files[j].string());
      material_of[files[j].filename().string()] = "fuente/" + id;
    }
    RETURN_IF_ERROR(must(a.Client(args, "", absl::Minutes(30)), "attach"));
    materials.push_back("fuente/" + id);
  }
  r.ingest.seconds = Seconds(start);
  // B holds everything when it stores as many chunks as A and every file
  // of every material is complete.
  Probe probe_a(a.socket()), probe_b(b.socket());
  auto all_complete = [&](uint64_t a_chunks) {
    if (probe_b.ChunksStored() != a_chunks) return false;
    for (const std::string& id : materials) {
      if (!probe_b.FilesComplete(id, "")) return false;
    }
    return true;
  };
  const std::optional<uint64_t> a_chunks = probe_a.ChunksStored();
  if (!a_chunks.has_value()) return absl::UnavailableError("node A does not answer");
  proxy.Reset();
  start = Steady::now();
  if (!b.Start() ||
      !WaitFor([&] { return all_complete(*a_chunks); }, absl::Hours(1), absl::Milliseconds(50))) {
    return absl::DeadlineExceededError(absl::StrCat("B never completed\n", b.log()));
  }
  ::sync();  // durable, as rsync's side is: B syncs no chunk as it stores it
  r.sync = {Seconds(start), proxy.bytes()};
  auto edit = [&](const fs::path& path,
                  const std::function<void(const fs::path&)>& change) -> absl::StatusOr<Step> {
    change(path);
    const std::string sha = ChunkBytes(ReadAll(path)).sha256();
    const std::string& id = material_of[path.filename().string()];
    proxy.Reset();
    const auto t = Steady::now();
    RETURN_IF_ERROR(must(a.Client({"attach", id, path.string()}, "", absl::Minutes(30)), "attach"));
    const std::optional<uint64_t> target = probe_a.ChunksStored();
    if (!target.has_value() ||
        !WaitFor([&] { return probe_b.ChunksStored() == target && probe_b.FilesComplete(id, sha); },
                 absl::Hours(1), absl::Milliseconds(20))) {
      return absl::DeadlineExceededError("B never took the edit");
    }
    ::sync();  // durable, as rsync's side is
    return Step{Seconds(t), proxy.bytes()};
  };
  RETURN_IF_ERROR(TimeEdits(files, edit, r));
  r.peak_mib_a = PeakMib(a.pid());
  r.peak_mib_b = PeakMib(b.pid());
  b.Stop();
  a.Stop();
  proxy.Stop();
  return r;
}

// rsync: a daemon serving the corpus, pulled into a copy through the proxy.
absl::StatusOr<RunResult> RunRsync(const fs::path& root, const fs::path& corpus,
                                   const std::vector<fs::path>& files) {
  RunResult r;
  fs::remove_all(root);
  fs::create_directories(root / "copy");
  const int port = FreePort(), proxy_port = FreePort();
  std::ofstream(root / "rsyncd.conf")
      << "use chroot = no\n[corpus]\npath = " << corpus.string() << "\nread only = yes\n";
  Process daemon;  // killed by its destructor on any error
  if (!daemon.Start({"/usr/bin/rsync", "--daemon", "--no-detach", "--address=127.0.0.1",
                     absl::StrCat("--port=", port), "--config=" + (root / "rsyncd.conf").string()},
                    (root / "rsyncd.log").string())) {
    return absl::UnavailableError("rsync --daemon did not start (--no-rsync?)");
  }
  CountingProxy proxy;
  RETURN_IF_ERROR(proxy.Start(proxy_port, port));
  const std::string url = absl::StrCat("rsync://127.0.0.1:", proxy_port, "/");
  // Untimed: until the daemon lists its module, it is not listening yet.
  if (!WaitFor(
          [&] {
            return Run({"/usr/bin/rsync", url}).exit_code == 0;
          },
          absl::Seconds(30), absl::Milliseconds(50))) {
    return absl::UnavailableError("the rsync daemon never answered");
  }
  auto pull = [&]() -> absl::StatusOr<Step> {
    proxy.Reset();
    const auto t = Steady::now();
    const testing::RunResult run =
        Run({"/usr/bin/rsync", "-a", url + "corpus/", (root / "copy").string() + "/"}, "",
            absl::Minutes(30));
    if (run.exit_code != 0) return absl::UnavailableError("rsync failed: " + run.err);
    ::sync();
    return Step{Seconds(t), proxy.bytes()};
  };
  ASSIGN_OR_RETURN(r.sync, pull());
  RETURN_IF_ERROR(TimeEdits(
      files,
      [&](const fs::path& path, const std::function<void(const fs::path&)>& change) {
        change(path);
        return pull();
      },
      r));
  daemon.Signal(SIGTERM);
  proxy.Stop();
  return r;
}

Step MedianStep(const std::vector<RunResult>& runs, Step RunResult::*step) {
  std::vector<double> seconds, bytes;
  for (const RunResult& r : runs) {
    seconds.push_back((r.*step).seconds);
    bytes.push_back(static_cast<double>((r.*step).wire_bytes));
  }
  return {Median(seconds), static_cast<uint64_t>(Median(bytes))};
}

// Syncthing: A shares the corpus send-only, B receives it through the
// proxy. Its ingest is A's first scan (hashing every block) from when its
// folder is resumed, its sync from when B's peer A is resumed until B holds
// every file (both after the instance's start, which runs a hashing
// benchmark); an edit is A's rescan until B holds the file's new version.
absl::StatusOr<RunResult> RunSyncthing(const fs::path& root, const fs::path& corpus,
                                       const std::vector<fs::path>& files) {
  RunResult r;
  fs::remove_all(root);
  fs::create_directories(root);
  SyncthingPair pair;  // stops both instances on any error
  const int proxy_port = FreePort();
  RETURN_IF_ERROR(pair.Setup(root, corpus, proxy_port));
  CountingProxy proxy;
  RETURN_IF_ERROR(proxy.Start(proxy_port, pair.a_port()));
  const uint64_t count = files.size(), bytes = CorpusBytes(files);
  RETURN_IF_ERROR(pair.StartA());
  auto start = Steady::now();
  RETURN_IF_ERROR(pair.ResumeAFolder());
  if (!WaitFor([&] { return pair.AScanned(count, bytes); }, absl::Hours(1),
               absl::Milliseconds(20))) {
    return absl::DeadlineExceededError("syncthing A never finished its scan");
  }
  r.ingest = {Seconds(start), 0};
  RETURN_IF_ERROR(pair.StartB());
  proxy.Reset();
  start = Steady::now();
  RETURN_IF_ERROR(pair.ResumeBPeer());
  if (!WaitFor([&] { return pair.BSynced(count, bytes); }, absl::Hours(1),
               absl::Milliseconds(50))) {
    return absl::DeadlineExceededError("syncthing B never completed");
  }
  ::sync();  // durable, as rsync's side is
  r.sync = {Seconds(start), proxy.bytes()};
  auto edit = [&](const fs::path& path,
                  const std::function<void(const fs::path&)>& change) -> absl::StatusOr<Step> {
    change(path);
    const std::string name = path.filename().string();
    proxy.Reset();
    const auto t = Steady::now();
    RETURN_IF_ERROR(pair.RescanA());
    const std::string version = pair.AVersion(name);
    if (version.empty() || !WaitFor([&] { return pair.BVersion(name) == version; }, absl::Hours(1),
                                    absl::Milliseconds(20))) {
      return absl::DeadlineExceededError("syncthing B never took the edit");
    }
    ::sync();  // durable, as rsync's side is
    Step step{Seconds(t), proxy.bytes()};
    if (ReadAll(pair.b_folder() / name) != ReadAll(path)) {
      return absl::DataLossError(absl::StrCat("syncthing B's ", name, " differs from A's"));
    }
    return step;
  };
  RETURN_IF_ERROR(TimeEdits(files, edit, r));
  r.peak_mib_a = PeakMib(pair.a_pid());
  r.peak_mib_b = PeakMib(pair.b_pid());
  proxy.Stop();
  return r;
}

int Main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "minga-files-bench: %s needs a value\n", flag.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&](int lo, int hi) {
      const std::string v = value();
      int n = 0;
      if (!absl::SimpleAtoi(v, &n) || n < lo || n > hi) {
        std::fprintf(stderr, "minga-files-bench: %s: '%s' is not %d to %d\n", flag.c_str(),
                     v.c_str(), lo, hi);
        std::exit(2);
      }
      return n;
    };
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (flag == "--videos") {
      f.videos = number(1, 1000);
    } else if (flag == "--video-mib") {
      f.video_mib = number(3, 16384);
    } else if (flag == "--documents") {
      f.documents = number(0, 10000);
    } else if (flag == "--runs") {
      f.runs = number(1, 100);
    } else if (flag == "--dir") {
      f.dir = value();
    } else if (flag == "--no-rsync") {
      f.rsync = false;
    } else if (flag == "--no-syncthing") {
      f.syncthing = false;
    } else if (flag == "--format") {
      f.format = value();
      if (f.format != "table" && f.format != "json" && f.format != "both") {
        std::fprintf(stderr, "minga-files-bench: --format: '%s' is not table, json or both\n",
                     f.format.c_str());
        return 2;
      }
    } else if (flag == "--keep") {
      f.keep = true;
    } else {
      std::fprintf(stderr, "minga-files-bench: unknown flag '%s' (see --help)\n", flag.c_str());
      return 2;
    }
  }
  const fs::path root = fs::absolute(f.dir);
  // Each system, and its runs.
  struct System {
    std::string name;
    std::vector<RunResult> runs;
  };
  std::vector<System> systems = {{"minga", {}}};
  if (f.rsync) systems.push_back({"rsync", {}});
  if (f.syncthing) systems.push_back({"syncthing", {}});
  uint64_t corpus_bytes = 0;
  size_t corpus_files = 0;
  for (int run = 0; run < f.runs; ++run) {
    for (System& system : systems) {
      // A fresh corpus for each: the edits change it.
      const std::vector<fs::path> files = MakeCorpus(f, root / "corpus");
      // Written back before any system starts: otherwise whichever syncs
      // first pays for writing the corpus out as well.
      ::sync();
      corpus_bytes = CorpusBytes(files);
      corpus_files = files.size();
      std::fprintf(stderr, "run %d: %s\n", run + 1, system.name.c_str());
      absl::StatusOr<RunResult> r = system.name == "minga" ? RunMinga(f, root / "minga", files)
                                    : system.name == "rsync"
                                        ? RunRsync(root / "rsync", root / "corpus", files)
                                        : RunSyncthing(root / "syncthing", root / "corpus", files);
      if (!r.ok()) {
        std::fprintf(stderr, "minga-files-bench: %s: %s\n", system.name.c_str(),
                     std::string(r.status().message()).c_str());
        return 1;
      }
      system.runs.push_back(*r);
    }
  }
  if (!f.keep) fs::remove_all(root);

  const double mib = static_cast<double>(corpus_bytes) / kMiB;
  auto rate = [&](const Step& s) { return s.seconds > 0 ? mib / s.seconds : 0; };
  struct Row {
    const char* name;
    Step RunResult::*step;
  };
  const Row rows[] = {{"ingest", &RunResult::ingest},
                      {"sync", &RunResult::sync},
                      {"replace", &RunResult::replace},
                      {"overwrite", &RunResult::overwrite}};
  auto peaks = [](const System& s) {
    std::vector<double> a, b;
    for (const RunResult& r : s.runs) {
      a.push_back(r.peak_mib_a);
      b.push_back(r.peak_mib_b);
    }
    return std::make_pair(Median(a), Median(b));
  };
  const System& minga = systems.front();
  if (f.format != "json") {
    std::printf("corpus: %zu files, %.0f MiB; medians of %d runs\n\n", corpus_files, mib, f.runs);
    std::printf("%-10s", "");
    for (const System& s : systems) {
      std::printf(" %12s %14s", (s.name + " s").c_str(), (s.name + " wire").c_str());
    }
    for (size_t i = 1; i < systems.size(); ++i) {
      std::printf(" %16s", (systems[i].name + "/minga").c_str());
    }
    std::printf("\n");
    for (const Row& row : rows) {
      std::printf("%-10s", row.name);
      const Step m = MedianStep(minga.runs, row.step);
      for (const System& s : systems) {
        const Step step = MedianStep(s.runs, row.step);
        // rsync has no separate ingest: it reads the files as it sends.
        if (step.seconds <= 0) {
          std::printf(" %12s %14s", "-", "-");
          continue;
        }
        std::printf(" %12.2f %10.1f MiB", step.seconds,
                    static_cast<double>(step.wire_bytes) / kMiB);
      }
      for (size_t i = 1; i < systems.size(); ++i) {
        const Step s = MedianStep(systems[i].runs, row.step);
        std::printf(" %16s", s.seconds > 0 && m.seconds > 0
                                 ? absl::StrFormat("%.2f", s.seconds / m.seconds).c_str()
                                 : "-");
      }
      std::printf("\n");
    }
    const Step m = MedianStep(minga.runs, &RunResult::sync);
    std::printf("\nsync rate: minga %.0f MiB/s", rate(m));
    for (size_t i = 1; i < systems.size(); ++i) {
      const Step s = MedianStep(systems[i].runs, &RunResult::sync);
      std::printf(", %s %.0f MiB/s (minga/%s %.2f, target %s)", systems[i].name.c_str(), rate(s),
                  systems[i].name.c_str(), rate(s) > 0 ? rate(m) / rate(s) : 0,
                  systems[i].name == "rsync" ? ">= 0.80" : "> 1");
    }
    std::printf("\ningest rate: minga %.0f MiB/s (target >= 300)\n",
                rate(MedianStep(minga.runs, &RunResult::ingest)));
    for (const System& s : systems) {
      if (s.name == "rsync") continue;  // not measured: a short-lived client and daemon
      const auto [a, b] = peaks(s);
      std::printf("peak memory, %s: A %.0f MiB, B %.0f MiB%s\n", s.name.c_str(), a, b,
                  s.name == "minga" ? " (target < 200)" : "");
    }
    std::printf("time ratios: the other's time / minga's (above 1: minga faster)\n");
  }
  if (f.format != "table") {
    const auto [peak_a, peak_b] = peaks(minga);
    std::string json = absl::StrFormat(
        "{\"files\":%zu,\"corpus_bytes\":%llu,\"runs\":%d,\"peak_mib_a\":%.1f,\"peak_mib_b\":%.1f",
        corpus_files, static_cast<unsigned long long>(corpus_bytes), f.runs, peak_a, peak_b);
    for (const System& s : systems) {
      absl::StrAppend(&json, ",\"", s.name, "\":{");
      for (const Row& row : rows) {
        const Step step = MedianStep(s.runs, row.step);
        absl::StrAppendFormat(&json, "\"%s\":{\"seconds\":%.3f,\"wire_bytes\":%llu},", row.name,
                              step.seconds, static_cast<unsigned long long>(step.wire_bytes));
      }
      const auto [a, b] = peaks(s);
      absl::StrAppendFormat(&json, "\"peak_mib_a\":%.1f,\"peak_mib_b\":%.1f}", a, b);
    }
    std::printf("%s}\n", json.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace minga::bench

int main(int argc, char** argv) { return minga::bench::Main(argc, argv); }
