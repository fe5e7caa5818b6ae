// Files between real nodes over mutual TLS: a 200 MiB file crosses two hops
// byte for byte, a receiver killed mid-transfer resumes without fetching
// again what it stored, the same file in two materials is stored once, and
// a retraction purges the chunks from every node.
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <regex>
#include <set>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "node/core/chunker.h"
#include "tests/util/federation_harness.h"
#include "tests/util/file_helpers.h"

namespace minga::testing {
namespace {

// How many chunks the node splits the file at `path` into.
size_t ChunksOf(const std::string& path) {
  return static_cast<size_t>(ChunkBytes(ReadFileOrEmpty(path)).chunk_sha256_size());
}

TEST(FilesTest, LargeFileCrossesTwoHopsDedupsAndIsPurgedOnRetraction) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"origen", "puente", "destino"});
  fed.LinkBoth(0, 1);
  fed.LinkBoth(1, 2);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  const std::string file = tmp.path() + "/video-capacitacion.mp4";
  WriteRandomFile(file, 200 * kMiB, 1);
  const size_t chunks = ChunksOf(file);
  for (const char* id : {"curso", "copia"}) {
    ASSERT_EQ(fed.node(0)
                  .Client({"put", "--id", id, "--title", "Curso en video", "--kind", "training",
                           "--sector", "justice"})
                  .exit_code,
              0);
  }
  RunResult attached = fed.node(0).Client({"attach", "origen/curso", file}, "", absl::Seconds(300));
  ASSERT_EQ(attached.exit_code, 0) << attached.err;
  EXPECT_THAT(attached.out, ::testing::HasSubstr(absl::StrCat(chunks, " new chunks of ", chunks)));
  // The same file on a second material: no new chunk stored.
  RunResult again = fed.node(0).Client({"attach", "origen/copia", file}, "", absl::Seconds(300));
  EXPECT_THAT(again.out, ::testing::HasSubstr(absl::StrCat("0 new chunks of ", chunks)));
  EXPECT_EQ(ChunksStored(fed.node(0)), chunks);

  ASSERT_TRUE(WaitComplete(fed.node(2), "origen/curso", absl::Seconds(240))) << fed.node(2).log();
  ASSERT_TRUE(WaitComplete(fed.node(2), "origen/copia", absl::Seconds(60)));
  EXPECT_EQ(ChunksStored(fed.node(2)), chunks);
  const std::string copy = tmp.path() + "/copia.mp4";
  RunResult fetched =
      fed.node(2).Client({"fetch", "origen/curso", "video-capacitacion.mp4", "-o", copy, "--local"},
                         "", absl::Seconds(120));
  ASSERT_EQ(fetched.exit_code, 0) << fetched.err;
  EXPECT_TRUE(SameFile(file, copy));

  ASSERT_EQ(fed.node(0).Client({"rm", "origen/curso", "origen/copia"}).exit_code, 0);
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  bool purged = false;
  while (!purged && absl::Now() < deadline) {
    purged = true;
    for (int i = 0; i < 3; ++i) purged &= ChunksStored(fed.node(i)) == 0;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(purged);
  RunResult gc = fed.node(2).Client({"gc"});
  EXPECT_EQ(gc.exit_code, 0) << gc.err;
}

TEST(FilesTest, ReceiverKilledMidTransferResumesWithoutFetchingAgain) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"fuente", "receptor"});
  fed.Link(1, 0);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.node(0).Start());
  const std::string file = tmp.path() + "/protocolo.pdf";
  WriteRandomFile(file, 200 * kMiB, 2);
  const size_t chunks = ChunksOf(file);
  ASSERT_EQ(fed.node(0)
                .Client({"put", "--id", "p", "--title", "Protocolo", "--kind", "protocol",
                         "--sector", "police"})
                .exit_code,
            0);
  ASSERT_EQ(fed.node(0).Client({"attach", "fuente/p", file}, "", absl::Seconds(300)).exit_code, 0);

  ASSERT_TRUE(fed.node(1).Start());
  uint64_t stored = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  while (absl::Now() < deadline && (stored = ChunksStored(fed.node(1))) < 10) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  fed.node(1).Kill9();
  ASSERT_GE(stored, 10u);
  ASSERT_LT(stored, chunks) << "the transfer ended before the kill";

  // Restart with the source down: what survived the kill is exactly what
  // the store holds now.
  ASSERT_EQ(fed.node(0).Stop(), 0);
  ASSERT_TRUE(fed.node(1).Start());
  const uint64_t kept = ChunksStored(fed.node(1));
  EXPECT_GE(kept, stored);
  ASSERT_LT(kept, chunks) << "the transfer ended before the kill";
  ASSERT_TRUE(fed.node(0).Start());
  ASSERT_TRUE(WaitComplete(fed.node(1), "fuente/p", absl::Seconds(240))) << fed.node(1).log();
  // Since the restart only the missing chunks crossed the link.
  const std::string peers = fed.node(1).Client({"--json", "peers"}).out;
  EXPECT_EQ(JsonNumber(peers, "chunks_fetched"), chunks - kept) << peers;
  const std::string copy = tmp.path() + "/copy.pdf";
  ASSERT_EQ(fed.node(1)
                .Client({"fetch", "fuente/p", "protocolo.pdf", "-o", copy, "--local"}, "",
                        absl::Seconds(120))
                .exit_code,
            0);
  EXPECT_TRUE(SameFile(file, copy));
}

// Content-defined chunks: after an edit, the receiver fetches only the
// chunks around it, whether bytes were inserted near the start (which
// shifts everything after them) or a region was overwritten in place.
TEST(FilesTest, AnEditedFileCrossesAsTheChunksAroundTheEdit) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"origen", "destino"});
  fed.Link(1, 0);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  ASSERT_EQ(fed.node(0)
                .Client({"put", "--id", "video", "--title", "Video", "--kind", "training",
                         "--sector", "health"})
                .exit_code,
            0);
  const std::string file = tmp.path() + "/video.mp4";
  WriteRandomFile(file, 30 * kMiB, 9);
  std::string content = ReadFileOrEmpty(file);
  NodeHarness& dest = fed.node(1);
  // Attaches `content` and waits until the receiver holds all of it;
  // returns the bytes it fetched meanwhile, and the bytes of chunks it did
  // not hold before.
  v1::FileInfo held;
  auto attach_and_sync = [&](uint64_t* fetched, uint64_t* new_bytes) {
    WriteFile(file, content);
    const v1::FileInfo info = ChunkBytes(content);
    const std::set<std::string> had(held.chunk_sha256().begin(), held.chunk_sha256().end());
    *new_bytes = 0;
    const std::vector<ChunkSpan> spans = ChunkSpans(info);
    for (size_t i = 0; i < spans.size(); ++i) {
      if (!had.count(info.chunk_sha256(static_cast<int>(i)))) *new_bytes += spans[i].length;
    }
    const uint64_t before = JsonNumber(dest.Client({"--json", "peers"}).out, "bytes_fetched");
    ASSERT_EQ(fed.node(0).Client({"attach", "origen/video", file}).exit_code, 0);
    const std::string sha = absl::Base64Escape(info.sha256());
    const absl::Time deadline = absl::Now() + absl::Seconds(120);
    std::string files;
    while (absl::Now() < deadline) {
      files = dest.Client({"--json", "files", "origen/video"}).out;
      if (files.find(sha) != std::string::npos &&
          files.find("\"complete\":true") != std::string::npos) {
        break;
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    ASSERT_THAT(files, ::testing::HasSubstr(sha)) << dest.log();
    ASSERT_THAT(files, ::testing::HasSubstr("\"complete\":true")) << files;
    *fetched = JsonNumber(dest.Client({"--json", "peers"}).out, "bytes_fetched") - before;
    const std::string copy = tmp.path() + "/copy.mp4";
    std::filesystem::remove(copy);
    ASSERT_EQ(dest.Client({"fetch", "origen/video", "video.mp4", "-o", copy, "--local"}).exit_code,
              0);
    EXPECT_TRUE(SameFile(file, copy));
    held = info;
  };
  uint64_t fetched = 0, new_bytes = 0;
  attach_and_sync(&fetched, &new_bytes);
  EXPECT_EQ(fetched, content.size());

  content.insert(1000, std::string(4096, 'x'));
  attach_and_sync(&fetched, &new_bytes);
  EXPECT_EQ(fetched, new_bytes);
  EXPECT_LE(fetched, 2 * kMiB) << "an insertion near the start resent the file";
  printf("4 KiB inserted at 1000: %llu bytes crossed\n", static_cast<unsigned long long>(fetched));

  std::mt19937_64 rng(10);
  for (size_t i = 0; i < kMiB; ++i) content[17 * kMiB + 12345 + i] = static_cast<char>(rng());
  attach_and_sync(&fetched, &new_bytes);
  EXPECT_EQ(fetched, new_bytes);
  EXPECT_LE(fetched, 2 * kMiB) << "a 1 MiB overwrite crossed as more than 2 MiB";
  printf("1 MiB overwritten inside: %llu bytes crossed\n",
         static_cast<unsigned long long>(fetched));
}

TEST(FilesTest, AMemberOutsideTheAudienceAskingByHashIsRefused) {
  TempDir tmp;
  FederationHarness fed(tmp.path(), {"duena", "socia", "ajena"});
  fed.LinkBoth(0, 1);
  fed.LinkBoth(0, 2);
  ASSERT_TRUE(fed.Setup());
  ASSERT_TRUE(fed.StartAll());
  const std::string file = tmp.path() + "/informe.pdf";
  WriteRandomFile(file, 3 * kMiB, 3);
  ASSERT_EQ(fed.node(0)
                .Client({"put", "--id", "reservado", "--title", "Informe reservado", "--kind",
                         "report", "--sector", "justice", "--audience", "members:socia"})
                .exit_code,
            0);
  ASSERT_EQ(fed.node(0)
                .Client({"put", "--id", "abierto", "--title", "Informe abierto", "--kind", "report",
                         "--sector", "justice"})
                .exit_code,
            0);
  ASSERT_EQ(fed.node(0).Client({"attach", "duena/reservado", file}).exit_code, 0);
  const std::string files = fed.node(0).Client({"--json", "files", "duena/reservado"}).out;
  // The first chunk's hash: base64 in the JSON output; the probe takes hex.
  std::smatch first_chunk;
  ASSERT_TRUE(std::regex_search(files, first_chunk, std::regex("\"chunk_sha256\":\\[\"([^\"]+)\"")))
      << files;
  const std::string b64 = first_chunk[1];
  std::string raw;
  ASSERT_TRUE(absl::Base64Unescape(b64, &raw)) << files;
  const std::string hex = absl::BytesToHexString(raw);
  ASSERT_TRUE(WaitComplete(fed.node(1), "duena/reservado", absl::Seconds(60)));

  auto probe = [&](const std::string& as, const std::string& material) {
    return testing::Run({CHUNK_PROBE_BIN, fed.address(0), "duena", fed.certs() + "/ca.pem",
                         fed.certs() + "/" + as + ".pem", fed.certs() + "/" + as + ".key", as,
                         material, hex})
        .out;
  };
  EXPECT_THAT(probe("socia", "duena/reservado"), ::testing::HasSubstr("code=0 received=1"));
  // ajena is a member, with a valid certificate, and knows the hash: refused.
  const std::string outsider = probe("ajena", "duena/reservado");
  EXPECT_THAT(outsider, ::testing::HasSubstr("code=7 received=0"));
  EXPECT_THAT(outsider, ::testing::HasSubstr("outside the audience"));
  // Naming a material it may see, which does not list the chunk: refused.
  const std::string by_hash = probe("ajena", "duena/abierto");
  EXPECT_THAT(by_hash, ::testing::HasSubstr("code=7 received=0"));
  EXPECT_EQ(ChunksStored(fed.node(2)), 0u);
}

// A directory attaches in one command: its files in name order (several
// uploads at once, listed in that order), one progress bar, a line each; what cannot be attached is
// refused before anything is sent.
TEST(FilesTest, ADirectoryAttachesInOneCommand) {
  TempDir tmp;
  NodeHarness node(tmp.path(), "casa-ana");
  node.WriteConfig("allow_plaintext_loopback: true\n");
  ASSERT_TRUE(node.Start()) << node.log();
  ASSERT_EQ(node.Client({"put", "--id", "curso", "--title", "Curso", "--kind", "training",
                         "--sector", "justice"})
                .exit_code,
            0);
  const std::string dir = tmp.path() + "/curso";
  std::filesystem::create_directories(dir + "/extra");
  WriteRandomFile(dir + "/2-video.mp4", 3 * kMiB, 1);
  WriteRandomFile(dir + "/1-guia.pdf", 300 * 1024, 2);
  WriteRandomFile(dir + "/3-notas.txt", 1000, 3);
  RunResult nested = node.Client({"attach", "casa-ana/curso", dir});
  EXPECT_EQ(nested.exit_code, 4) << nested.err;
  EXPECT_THAT(nested.err, ::testing::HasSubstr("/extra: a directory inside"));
  EXPECT_THAT(node.Client({"files", "casa-ana/curso"}).out,
              ::testing::Not(::testing::HasSubstr("guia")));

  std::filesystem::remove(dir + "/extra");
  RunResult attached = node.Client({"attach", "casa-ana/curso", dir + "/"});
  ASSERT_EQ(attached.exit_code, 0) << attached.err;
  const size_t video_chunks = ChunksOf(dir + "/2-video.mp4");
  EXPECT_THAT(attached.out, ::testing::ContainsRegex(absl::StrCat(
                                "attached 1-guia.pdf .*\n", "attached 2-video.mp4 .*", video_chunks,
                                " new chunks of ", video_chunks, ".*\n", "attached 3-notas.txt ")));
  // The files go up three at a time, but the material lists them in the
  // order given.
  const std::string files = node.Client({"--json", "files", "casa-ana/curso"}).out;
  size_t last = 0;
  for (const char* name : {"1-guia.pdf", "2-video.mp4", "3-notas.txt"}) {
    const size_t at = files.find(name);
    ASSERT_NE(at, std::string::npos) << name << " missing from " << files;
    EXPECT_GT(at, last) << name << " out of order in " << files;
    last = at;
  }

  const std::string many = tmp.path() + "/many";
  std::filesystem::create_directories(many);
  for (int i = 0; i < 65; ++i) WriteFile(absl::StrCat(many, "/f", i), "x");
  RunResult too_many = node.Client({"attach", "casa-ana/curso", many});
  EXPECT_EQ(too_many.exit_code, 4);
  EXPECT_THAT(too_many.err, ::testing::HasSubstr("65 files: a material holds at most 64"));
  EXPECT_EQ(node.Stop(), 0) << node.log();
}

}  // namespace
}  // namespace minga::testing
