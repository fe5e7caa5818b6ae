// minga import, export.
#include <cstdio>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/cli/output.h"
#include "client/commands/session.h"
#include "client/formats/records.h"
#include "node/core/limits.h"
#include "node/core/read_file.h"
#include "node/net/grpc_status.h"

namespace minga::cli {
namespace {

// Items per PutMany (the node takes up to 500), and calls in flight.
constexpr size_t kImportBatch = 500;
constexpr size_t kImportWindow = 3;
constexpr size_t kMaxImportBytes = size_t{256} << 20;

// What `minga import` was asked for, beside the file itself.
struct ImportOptions {
  std::optional<FileFormat> format;  // unset: detected from the name and text
  std::optional<v1::Audience> default_audience;
  // --shard K/N keeps every Nth record from the Kth: one file spread over
  // several nodes (the demo gives each organisation a third of the samples).
  int shard = 1;
  int shards = 1;
};

absl::StatusOr<ImportOptions> ParseImportOptions(const Args& args) {
  ImportOptions options;
  if (auto f = args.Get("format")) {
    absl::StatusOr<FileFormat> parsed = ParseFormatName(*f);
    if (!parsed.ok()) return parsed.status();
    options.format = *parsed;
  }
  if (auto a = args.Get("audience")) {
    absl::StatusOr<v1::Audience> parsed = ParseAudience(*a);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--audience: ", parsed.status().message()));
    }
    options.default_audience = *parsed;
  }
  if (auto sh = args.Get("shard")) {
    const std::vector<std::string> parts = absl::StrSplit(*sh, '/');
    if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &options.shard) ||
        !absl::SimpleAtoi(parts[1], &options.shards) || options.shards < 1 || options.shard < 1 ||
        options.shard > options.shards) {
      return absl::InvalidArgumentError(
          absl::StrCat("--shard: '", *sh, "' is not K/N with 1 <= K <= N"));
    }
  }
  return options;
}

// The records of an import, in file order: a callable returning the next
// one, or nullopt after the last.
using RecordSource = std::function<std::optional<ParsedRecord>()>;

// Keeps every shards-th record of `source`, from the shard-th (--shard).
RecordSource KeepShard(const ImportOptions& options, RecordSource source) {
  if (options.shards == 1) return source;
  return [options, source = std::move(source), index = size_t{0}]() mutable {
    while (std::optional<ParsedRecord> r = source()) {
      if (static_cast<int>(index++ % options.shards) == options.shard - 1) return r;
    }
    return std::optional<ParsedRecord>();
  };
}

// How many of `total` records KeepShard keeps.
size_t ShardSize(const ImportOptions& options, size_t total) {
  const size_t skip = static_cast<size_t>(options.shard - 1);
  return total <= skip ? 0 : (total - skip + options.shards - 1) / options.shards;
}

// Sends the good records in batches, up to kImportWindow in flight, so the
// node validates and signs one while it writes another and this side reads
// the next from the file. A batch that names an id still in flight waits
// for it, so a file that lists a material twice keeps its later row, as
// when sent one batch at a time. Not thread-safe: one import drives it.
class ImportWindow {
 public:
  // records: how many the source will yield, for the progress bar.
  ImportWindow(Session& s, const std::string& path, size_t records,
               const std::optional<v1::Audience>& default_audience)
      : s_(s),
        path_(path),
        default_audience_(default_audience),
        progress_("importing", records, false) {}

  // Reads and sends every record of `source`; unreadable ones are refused
  // here. Returns the first failure of a whole call (the node refused the
  // rest), or OK. Refusals of single records are counted.
  grpc::Status Run(const RecordSource& source) {
    bool more = true;
    while (more && failure_.ok()) {
      InFlight batch;
      v1::PutManyRequest request;
      while (request.items_size() < static_cast<int>(kImportBatch)) {
        std::optional<ParsedRecord> r = source();
        if (!r.has_value()) {
          more = false;
          break;
        }
        ++read_;
        if (!r->record.ok()) {
          Refuse(r->record.status().message());
          continue;
        }
        Add(*r->record, &request, &batch);
      }
      if (request.items_size() == 0) break;
      while (!window_.empty() && (window_.size() >= kImportWindow || Overlaps(batch.ids))) {
        FinishOldest();
      }
      if (!failure_.ok()) break;
      batch.result = std::async(std::launch::async, [this, request = std::move(request)] {
        v1::PutManyResponse response;
        grpc::Status st = s_.Catalog()->PutMany(s_.Context().get(), request, &response);
        return std::make_pair(st, std::move(response));
      });
      window_.push_back(std::move(batch));
    }
    while (!window_.empty()) FinishOldest();
    progress_.Finish();
    return failure_;
  }

  size_t stored() const { return stored_; }
  size_t refused() const { return refused_; }

 private:
  struct InFlight {
    std::vector<int> lines;     // the file line of each item
    std::set<std::string> ids;  // local parts of the ids it names
    std::future<std::pair<grpc::Status, v1::PutManyResponse>> result;
  };

  void Refuse(absl::string_view message) {
    ++refused_;
    std::fprintf(stderr, "%s: %s\n", path_.c_str(), std::string(message).c_str());
  }

  void Add(ImportRecord& record, v1::PutManyRequest* request, InFlight* batch) const {
    v1::PutRequest* item = request->add_items();
    const std::string& id = record.material.id();
    if (!id.empty()) batch->ids.insert(id.substr(id.rfind('/') + 1));
    batch->lines.push_back(record.line);
    *item->mutable_material() = std::move(record.material);
    if (record.has_audience) {
      *item->mutable_audience() = std::move(record.audience);
    } else if (default_audience_.has_value()) {
      *item->mutable_audience() = *default_audience_;
    }
  }

  bool Overlaps(const std::set<std::string>& ids) const {
    for (const InFlight& f : window_) {
      for (const std::string& id : ids) {
        if (f.ids.count(id)) return true;
      }
    }
    return false;
  }

  void FinishOldest() {
    InFlight done = std::move(window_.front());
    window_.pop_front();
    auto [st, response] = done.result.get();
    if (!st.ok()) {
      if (failure_.ok()) failure_ = st;
      return;
    }
    for (const v1::PutResult& r : response.results()) {
      if (r.index() >= done.lines.size()) continue;  // not one of ours
      const int line = done.lines[r.index()];
      if (r.code() == 0) {
        ++stored_;
        if (s_.json) {
          std::printf("{\"line\":%d,\"id\":\"%s\",\"version\":%llu}\n", line, r.id().c_str(),
                      static_cast<unsigned long long>(r.version()));
        }
      } else {
        Refuse(absl::StrCat("line ", line, ": ", r.error()));
      }
    }
    // Every record read is done with but those of the batches in flight.
    progress_.Update(read_ - InFlightRecords());
  }

  // Records of the batches still in flight.
  size_t InFlightRecords() const {
    size_t n = 0;
    for (const InFlight& f : window_) n += f.lines.size();
    return n;
  }

  Session& s_;
  const std::string& path_;
  const std::optional<v1::Audience>& default_audience_;
  Progress progress_;
  std::deque<InFlight> window_;
  grpc::Status failure_;
  size_t read_ = 0;  // records taken from the source
  size_t stored_ = 0;
  size_t refused_ = 0;
};

int Import(Session& s, const Args& args) {
  if (args.positional().size() != 1) {
    return ReportUsage("import takes one FILE");
  }
  const std::string path = args.positional()[0];
  absl::StatusOr<ImportOptions> options = ParseImportOptions(args);
  if (!options.ok()) return Report(options.status());
  absl::StatusOr<std::string> read = ReadFileToString(path, kMaxImportBytes);
  if (absl::IsInvalidArgument(read.status())) {
    return Report(absl::InvalidArgumentError(absl::StrCat(read.status().message(), "; split it")));
  }
  if (!read.ok()) return Report(read.status());
  const std::string text = *std::move(read);
  const FileFormat format = options->format.value_or(DetectFormat(path, text));

  // JSON Lines, the bulk format, is read as it is sent. A JSON array or a
  // CSV file is read whole first: its syntax can end the file early.
  ParsedFile file;
  RecordSource source;
  size_t total = 0;
  std::optional<JsonLinesReader> lines;
  if (format == FileFormat::kJsonLines) {
    lines.emplace(text);
    total = JsonLinesReader::Count(text);
    source = [&lines] { return lines->Next(); };
  } else {
    file = ParseImportFile(text, format);
    total = file.records.size();
    source = [&file, next = size_t{0}]() mutable {
      return next < file.records.size()
                 ? std::optional<ParsedRecord>(std::move(file.records[next++]))
                 : std::nullopt;
    };
  }
  ImportWindow window(s, path, ShardSize(*options, total), options->default_audience);
  const grpc::Status failure = window.Run(KeepShard(*options, std::move(source)));
  if (!failure.ok()) {
    std::fprintf(stderr, "%s: stored %zu records before the node refused the rest\n", path.c_str(),
                 window.stored());
    return Report(FromGrpcStatus(failure));
  }
  if (!file.fatal.ok()) {
    std::fprintf(stderr, "%s: %s; the records before it were imported\n", path.c_str(),
                 std::string(file.fatal.message()).c_str());
  }
  const size_t stored = window.stored(), refused = window.refused();
  std::fprintf(s.json ? stderr : stdout, "imported %zu of %zu records from %s%s\n", stored,
               stored + refused, path.c_str(),
               refused ? absl::StrCat(" (", refused, " refused)").c_str() : "");
  return refused > 0 || !file.fatal.ok() ? kExitInvalid : kExitOk;
}

int Export(Session& s, const Args& args) {
  FileFormat format = FileFormat::kJsonLines;
  if (auto f = args.Get("format")) {
    absl::StatusOr<FileFormat> parsed = ParseFormatName(*f);
    if (!parsed.ok()) return Report(parsed.status());
    if (*parsed == FileFormat::kJson) {
      return Report(absl::InvalidArgumentError("--format: export writes jsonl or csv"));
    }
    format = *parsed;
  }
  std::vector<v1::MaterialView> views;
  v1::ListRequest request;
  request.set_origin(args.GetOr("origin", ""));
  request.set_page_size(1000);
  do {
    v1::ListResponse response;
    grpc::Status st = s.Catalog()->List(s.Context().get(), request, &response);
    if (!st.ok()) return Report(FromGrpcStatus(st));
    for (v1::MaterialView& v : *response.mutable_materials()) views.push_back(std::move(v));
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());

  std::string out;
  if (format == FileFormat::kJsonLines) {
    for (const v1::MaterialView& v : views) {
      out += MaterialToJson(v.material(), v.header().audience()) + "\n";
    }
  } else {
    std::set<std::string> langs;
    for (const v1::MaterialView& v : views) {
      for (const auto& [lang, unused] : v.material().other_language_titles()) langs.insert(lang);
    }
    const std::vector<std::string> title_langs(langs.begin(), langs.end());
    out += CsvHeader(title_langs) + "\n";
    for (const v1::MaterialView& v : views) {
      out += MaterialToCsv(v.material(), v.header().audience(), title_langs) + "\n";
    }
  }
  const std::string path = args.GetOr("o", args.GetOr("output", "-"));
  if (path == "-") {
    std::fwrite(out.data(), 1, out.size(), stdout);
  } else {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << out;
    if (!file) return Report(absl::UnavailableError(absl::StrCat(path, ": cannot write")));
    std::fprintf(stderr, "exported %zu materials to %s\n", views.size(), path.c_str());
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> TransferCommands() {
  return {
      {"import",
       "import materials from JSON, JSON Lines or CSV",
       "Usage: minga import FILE [--format json|jsonl|csv] [--audience A] [--shard K/N]\n\n"
       "Reads a JSON array (like config/samples/materials.json), JSON Lines or a\n"
       "CSV exported from a spreadsheet (header row of field names; list cells\n"
       "separated by '|'; other titles in columns title.<lang>). Ids without an\n"
       "origin become this node's. Each bad record is reported with its line and\n"
       "reason and the good ones still go in; exit 4 if any was refused.\n"
       "--audience applies to records that do not set their own. --shard K/N\n"
       "imports only every Nth record starting with the Kth.\n",
       {{"format", "audience", "shard"}, {}, {}},
       Import},
      {"export",
       "export materials as JSON Lines or CSV",
       "Usage: minga export [--format jsonl|csv] [--origin ORG] [-o FILE]\n\n"
       "Writes the materials held with their content, in a form `minga import`\n"
       "reads back. Files are not included (see minga files / fetch).\n",
       {{"format", "origin", "o", "output"}, {}, {}},
       Export},
  };
}

}  // namespace minga::cli
