// Writes the fuzzers' seed corpora from the sample materials and config
// files: make_seeds SOURCE_DIR OUT_DIR makes OUT_DIR/<fuzzer>/ for each.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/formats/records.h"
#include "minga/v1/federation.pb.h"
#include "node/core/crypto.h"
#include "node/core/revision.h"
#include "node/sync/batch_codec.h"

namespace fs = std::filesystem;

namespace {

std::string Read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void Write(const fs::path& dir, const std::string& name, const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream(dir / name, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: make_seeds SOURCE_DIR OUT_DIR\n");
    return 2;
  }
  const fs::path src = argv[1], out = argv[2];
  if (!minga::InitCrypto().ok()) return 1;
  const std::string json = Read(src / "config/samples/materials.json");
  minga::ParsedFile parsed = minga::ParseImportFile(json, minga::FileFormat::kJson);
  if (!parsed.fatal.ok() || parsed.records.empty()) {
    fprintf(stderr, "make_seeds: config/samples/materials.json did not parse\n");
    return 1;
  }

  // Import: the samples as JSON, JSON Lines, CSV, and one material alone.
  std::string lines, csv = minga::CsvHeader({"en", "es", "pt"});
  minga::v1::PullBatch batch;
  const minga::SigningKey key = minga::SigningKey::Generate();
  int n = 0;
  for (const minga::ParsedRecord& p : parsed.records) {
    if (!p.record.ok()) continue;
    const minga::ImportRecord& r = *p.record;
    const std::string one = minga::MaterialToJson(r.material, r.audience);
    absl::StrAppend(&lines, one, "\n");
    csv += minga::MaterialToCsv(r.material, r.audience, {"en", "es", "pt"});
    if (n < 8) Write(out / "import_fuzzer", absl::StrCat("one-", n), std::string(1, 3) + one);

    minga::v1::Material m = r.material;
    m.set_id(absl::StrCat("beta/", m.id().substr(m.id().find('/') + 1)));
    minga::RevisionSpec spec;
    spec.material_id = m.id();
    spec.version = 1000 + n;
    spec.audience.set_scope(minga::v1::Audience::PUBLIC);
    minga::v1::Revision rev = minga::SignRevision(key, spec, m.SerializeAsString());
    if (n < 8) Write(out / "revision_fuzzer", absl::StrCat("rev-", n), rev.SerializeAsString());
    *batch.add_revisions() = rev;
    ++n;
  }
  Write(out / "import_fuzzer", "json", std::string(1, 0) + json);
  Write(out / "import_fuzzer", "jsonl", std::string(1, 1) + lines);
  Write(out / "import_fuzzer", "csv", std::string(1, 2) + csv);

  // A retraction, and the batches a pull carries.
  minga::RevisionSpec gone;
  gone.material_id = "beta/gone";
  gone.version = 5;
  gone.deleted = true;
  gone.audience.set_scope(minga::v1::Audience::PUBLIC);
  *batch.add_revisions() = minga::SignRevision(key, gone, "");
  Write(out / "revision_fuzzer", "retraction",
        batch.revisions(batch.revisions_size() - 1).SerializeAsString());
  batch.set_feed_id("feed-beta");
  batch.set_to_lseq(batch.revisions_size());
  batch.set_head_lseq(batch.revisions_size());
  batch.set_revision_count(batch.revisions_size());
  for (int flags : {0, 7, 15, 31}) {
    Write(out / "apply_batch_fuzzer", absl::StrCat("batch-", flags),
          std::string(1, static_cast<char>(flags)) + batch.SerializeAsString());
  }
  Write(out / "batch_codec_fuzzer", "plain", batch.SerializeAsString());
  auto encoder = minga::BatchEncoder::Create(1);
  if (!encoder.ok()) return 1;
  minga::v1::PullBatch first = batch, second = batch;
  if (!(*encoder)->Encode(&first).ok() || !(*encoder)->Encode(&second).ok()) return 1;
  Write(out / "batch_codec_fuzzer", "stream",
        first.zstd_revisions() + "|||" + second.zstd_revisions());

  // Config: the example files, as the config then the federation file.
  Write(out / "config_fuzzer", "examples",
        Read(src / "config/node.example.textproto") + "\n---\n" +
            Read(src / "config/federation.example.textproto"));
  // OAI-PMH: the DSpace-shaped records of the tests, as a ListRecords page.
  const std::string repo = Read(src / "tests/data/oai/dspace-repository.xml");
  const size_t from = repo.find("<oai:record>"), to = repo.rfind("</ListRecords>");
  if (from == std::string::npos || to == std::string::npos) return 1;
  Write(out / "oai_fuzzer", "list-records",
        absl::StrCat("<OAI-PMH xmlns=\"http://www.openarchives.org/OAI/2.0/\" "
                     "xmlns:oai=\"http://www.openarchives.org/OAI/2.0/\">"
                     "<responseDate>2026-01-01T00:00:00Z</responseDate><ListRecords>",
                     repo.substr(from, to - from),
                     "<resumptionToken>t</resumptionToken></ListRecords></OAI-PMH>"));
  printf("make_seeds: seeds for 6 fuzzers in %s\n", out.c_str());
  return 0;
}
