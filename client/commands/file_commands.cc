// minga attach, files, fetch, gc.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "client/cli/output.h"
#include "client/commands/session.h"
#include "node/core/crypto.h"
#include "node/core/limits.h"
#include "node/net/grpc_status.h"

namespace minga::cli {
namespace {

// A media type from the file name, for the common kinds of materials.
std::string GuessMediaType(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::pair<const char*, const char*> kTypes[] = {
      {".pdf", "application/pdf"},
      {".mp4", "video/mp4"},
      {".webm", "video/webm"},
      {".mp3", "audio/mpeg"},
      {".txt", "text/plain"},
      {".md", "text/markdown"},
      {".html", "text/html"},
      {".csv", "text/csv"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".zip", "application/zip"},
      {".epub", "application/epub+zip"},
      {".doc", "application/msword"},
      {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
      {".pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
      {".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
      {".odt", "application/vnd.oasis.opendocument.text"}};
  for (const auto& [e, type] : kTypes) {
    if (ext == e) return type;
  }
  return "application/octet-stream";
}

// Streams the file's bytes, a chunk per message, hashing them on the way
// and counting them in `*sent`. False when the node ended the call (its
// status says why). One message is reused, so its 1 MiB buffer is
// allocated once per file, not once per chunk.
bool SendData(std::ifstream* in, grpc::ClientWriter<v1::AttachRequest>* writer, Sha256Hasher* hash,
              const std::function<void(uint64_t)>& on_sent, uint64_t* sent) {
  v1::AttachRequest data;
  std::string* buffer = data.mutable_data();
  while (*in) {
    buffer->resize(kChunkSize);
    in->read(buffer->data(), static_cast<std::streamsize>(buffer->size()));
    const std::streamsize n = in->gcount();
    if (n <= 0) break;
    buffer->resize(static_cast<size_t>(n));
    hash->Update(*buffer);
    if (!writer->Write(data)) return false;
    *sent += n;
    on_sent(n);
  }
  return true;
}

// The files an attach names: each FILE, and the regular files directly in
// each DIR, in name order. A directory inside a DIR is refused rather than
// passed over (file names are flat).
absl::StatusOr<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& args) {
  std::vector<std::string> paths;
  for (const std::string& arg : args) {
    std::error_code ec;
    if (!std::filesystem::is_directory(arg, ec)) {
      if (!std::filesystem::is_regular_file(arg, ec)) {
        return absl::InvalidArgumentError(absl::StrCat(arg, ": not a regular file or directory"));
      }
      paths.push_back(arg);
      continue;
    }
    std::vector<std::string> inside;
    for (const auto& e : std::filesystem::directory_iterator(arg, ec)) {
      if (e.is_directory()) {
        return absl::InvalidArgumentError(absl::StrCat(e.path().string(), ": a directory inside ",
                                                       arg, "; attach its files separately"));
      }
      if (!e.is_regular_file()) {
        return absl::InvalidArgumentError(absl::StrCat(e.path().string(), ": not a regular file"));
      }
      inside.push_back(e.path().string());
    }
    if (ec) return absl::NotFoundError(absl::StrCat(arg, ": cannot read the directory"));
    std::sort(inside.begin(), inside.end());
    paths.insert(paths.end(), inside.begin(), inside.end());
  }
  if (paths.size() > kMaxFilesPerMaterial) {
    return absl::InvalidArgumentError(
        absl::StrCat(paths.size(), " files: a material holds at most ", kMaxFilesPerMaterial));
  }
  return paths;
}

// Uploads run kAttachWindow at a time, so one file's reading, hashing and
// storing overlap another's: five kept both cores busier than three
// (docs/performance.md, files). Each sends its Finish only once the files
// before it are attached, so the material lists them in the order given,
// and a failure leaves the files before it attached and none after.
constexpr size_t kAttachWindow = 5;

// Whose turn it is to finish, in the order of the files. Thread-safe.
class AttachTurns {
 public:
  // Waits until every file before the `i`th is done; false if one failed.
  bool Wait(size_t i) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    auto ready = [this, i]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return failed_ || turn_ == i; };
    mu_.Await(absl::Condition(&ready));
    return !failed_;
  }
  // The file whose turn it was is done.
  void Done(bool ok) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    failed_ = failed_ || !ok;
    ++turn_;
  }

 private:
  absl::Mutex mu_;
  size_t turn_ ABSL_GUARDED_BY(mu_) = 0;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
};

// Uploads the `index`th file and returns the line that reports it.
// `on_sent` counts bytes for the whole attach's bar (from several threads).
absl::StatusOr<std::string> AttachOne(Session& s, const std::string& id, const std::string& path,
                                      const Args& args, size_t index, AttachTurns* turns,
                                      const std::function<void(uint64_t)>& on_sent) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    turns->Wait(index);
    turns->Done(false);
    return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  }
  auto context = s.Context(absl::Hours(12));
  v1::AttachResponse response;
  std::unique_ptr<grpc::ClientWriter<v1::AttachRequest>> writer =
      s.Catalog()->Attach(context.get(), &response);
  v1::AttachRequest start;
  start.mutable_start()->set_material_id(id);
  start.mutable_start()->set_name(
      args.GetOr("name", std::filesystem::path(path).filename().string()));
  start.mutable_start()->set_media_type(args.GetOr("media-type", GuessMediaType(path)));
  std::error_code size_error;
  const uintmax_t size = std::filesystem::file_size(path, size_error);
  if (!size_error) start.mutable_start()->set_size(size);
  bool ok = writer->Write(start);
  Sha256Hasher hash;
  uint64_t sent = 0;
  ok = ok && SendData(&in, writer.get(), &hash, on_sent, &sent);
  // A file after one that failed is not attached: its upload is dropped.
  const bool turn = turns->Wait(index);
  if (ok && turn) {
    v1::AttachRequest finish;
    finish.mutable_finish()->set_size(sent);
    finish.mutable_finish()->set_sha256(DigestToBytes(hash.Finish()));
    writer->Write(finish);
  } else if (!turn) {
    context->TryCancel();
  }
  writer->WritesDone();
  grpc::Status st = writer->Finish();
  turns->Done(st.ok() && turn);
  if (!turn) return absl::CancelledError("a file before it was not attached");
  if (!st.ok()) return FromGrpcStatus(st);
  if (s.json) return ToJson(response);
  return absl::StrFormat("attached %s to %s (%s, %u new chunks of %d; version %llu)",
                         response.file().name(), id, FormatBytes(response.file().size()),
                         response.new_chunks(), response.file().chunk_sha256_size(),
                         static_cast<unsigned long long>(response.material().header().version()));
}

int Attach(Session& s, const Args& args) {
  if (args.positional().size() < 2) {
    return ReportUsage("attach takes an ID and one or more FILEs");
  }
  const std::string& id = args.positional()[0];
  absl::StatusOr<std::vector<std::string>> paths =
      ExpandPaths(std::vector<std::string>(args.positional().begin() + 1, args.positional().end()));
  if (!paths.ok()) return Report(paths.status());
  if (args.Has("name") && paths->size() > 1) {
    return Report(absl::InvalidArgumentError("--name: only with a single FILE"));
  }
  uint64_t total = 0;
  for (const std::string& path : *paths) {
    std::error_code ec;
    total += std::filesystem::file_size(path, ec);
    if (ec) return Report(absl::NotFoundError(absl::StrCat(path, ": cannot read its size")));
  }
  // One bar for the whole attach.
  Progress progress(
      paths->size() == 1
          ? absl::StrCat("attaching ", std::filesystem::path(paths->front()).filename().string())
          : absl::StrCat("attaching ", paths->size(), " files"),
      total, true);
  absl::Mutex progress_mu;
  uint64_t sent = 0;
  auto on_sent = [&](uint64_t n) {
    absl::MutexLock lock(&progress_mu);
    sent += n;
    progress.Update(sent);
  };
  AttachTurns turns;
  std::vector<std::future<absl::StatusOr<std::string>>> results;
  for (size_t i = 0; i < paths->size(); ++i) {
    // At most kAttachWindow in flight: wait for the oldest first.
    if (i >= kAttachWindow) results[i - kAttachWindow].wait();
    results.push_back(std::async(std::launch::async, [&, i] {
      return AttachOne(s, id, (*paths)[i], args, i, &turns, on_sent);
    }));
  }
  // The lines go out once the bar is done, so they do not break it; the
  // first failure is the one reported (the files after it were dropped).
  std::vector<std::string> attached;
  absl::Status failed;
  for (auto& result : results) {
    absl::StatusOr<std::string> line = result.get();
    if (line.ok()) {
      attached.push_back(*std::move(line));
    } else if (failed.ok()) {
      failed = line.status();
    }
  }
  progress.Finish();
  for (const std::string& line : attached) std::printf("%s\n", line.c_str());
  return failed.ok() ? kExitOk : Report(failed);
}

// "complete", or "12/80 chunks, 2.9 MiB to go, about 6s" while it comes.
std::string FileHere(const v1::FileState& f) {
  if (f.complete()) return "complete";
  std::string here = absl::StrCat(
      f.chunks_present(), "/", f.file().chunk_sha256_size(), " chunks, ",
      FormatBytes(f.file().size() - std::min(f.file().size(), f.bytes_present())), " to go");
  if (f.seconds_left() > 0) {
    absl::StrAppend(&here, ", about ", absl::FormatDuration(absl::Seconds(f.seconds_left())));
  }
  return here;
}

int Files(Session& s, const Args& args) {
  if (args.positional().size() != 1) return ReportUsage("files takes one ID");
  v1::ListFilesRequest request;
  request.set_id(args.positional()[0]);
  v1::ListFilesResponse response;
  grpc::Status st = s.Catalog()->ListFiles(s.Context().get(), request, &response);
  if (!st.ok()) return Report(FromGrpcStatus(st));
  if (s.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  Table table({"NAME", "TYPE", "SIZE", "HERE", "SHA-256"});
  for (const v1::FileState& f : response.files()) {
    table.Add({f.file().name(), f.file().media_type(), FormatBytes(f.file().size()), FileHere(f),
               absl::BytesToHexString(f.file().sha256()).substr(0, 16)});
  }
  if (table.empty()) {
    std::printf("no files\n");
  } else {
    std::fputs(table.Render().c_str(), stdout);
  }
  if (!response.policy().empty()) std::printf("file policy here: %s\n", response.policy().c_str());
  if (response.from_peer_bytes_per_second() > 0) {
    std::printf("chunks come from %s at %s/s\n", response.from_peer().c_str(),
                FormatBytes(response.from_peer_bytes_per_second()).c_str());
  }
  return kExitOk;
}

int Fetch(Session& s, const Args& args) {
  if (args.positional().size() != 2) {
    return ReportUsage("fetch takes an ID and a file NAME");
  }
  const std::string& id = args.positional()[0];
  const std::string& name = args.positional()[1];
  const std::string out_path = args.GetOr("o", args.GetOr("output", name));
  const std::string part = out_path + ".part";
  // A .part file left by an interrupted fetch is continued.
  uint64_t offset = std::filesystem::exists(part) ? std::filesystem::file_size(part) : 0;
  offset -= offset % kChunkSize;
  v1::FetchRequest request;
  request.set_id(id);
  request.set_name(name);
  request.set_offset(offset);
  request.set_local_only(args.Has("local"));
  auto context = s.Context(absl::Hours(12));
  std::unique_ptr<grpc::ClientReader<v1::FetchResponse>> reader =
      s.Catalog()->Fetch(context.get(), request);
  std::fstream out;
  v1::FetchResponse msg;
  v1::FileInfo file;
  std::unique_ptr<Progress> progress;
  while (reader->Read(&msg)) {
    if (!out.is_open()) {
      file = msg.file();  // the first message names the file
      std::ofstream(part, std::ios::binary | std::ios::app).close();  // exists from here
      std::error_code ec;
      std::filesystem::resize_file(part, offset, ec);
      out.open(part, std::ios::binary | std::ios::in | std::ios::out);
      if (ec || !out) {
        context->TryCancel();
        return Report(absl::UnavailableError(absl::StrCat(part, ": cannot write")));
      }
      progress = std::make_unique<Progress>(absl::StrCat("fetching ", name), file.size(), true);
    }
    out.seekp(msg.offset());
    out.write(msg.data().data(), msg.data().size());
    progress->Update(msg.offset() + msg.data().size());
  }
  grpc::Status st = reader->Finish();
  if (progress) progress->Finish();
  out.close();
  if (!st.ok()) return Report(FromGrpcStatus(st));
  // The whole file must hash to what the signed material says.
  std::ifstream check(part, std::ios::binary);
  Sha256Hasher hash;
  std::string buffer(kChunkSize, '\0');
  uint64_t size = 0;
  while (check) {
    check.read(buffer.data(), buffer.size());
    hash.Update(absl::string_view(buffer.data(), check.gcount()));
    size += check.gcount();
  }
  if (size != file.size() || DigestToBytes(hash.Finish()) != file.sha256()) {
    std::filesystem::remove(part);
    return Report(absl::DataLossError(absl::StrCat(
        name, ": the downloaded file does not match its signed SHA-256; removed, fetch again")));
  }
  std::filesystem::rename(part, out_path);
  if (s.json) {
    std::printf("%s\n", ToJson(file).c_str());
  } else {
    std::printf("fetched %s (%s) to %s\n", name.c_str(), FormatBytes(file.size()).c_str(),
                out_path.c_str());
  }
  return kExitOk;
}

int Gc(Session& s, const Args&) {
  v1::GcResponse response;
  grpc::Status st = s.Admin()->Gc(s.Context(absl::Minutes(30)).get(), v1::GcRequest(), &response);
  if (!st.ok()) return Report(FromGrpcStatus(st));
  if (s.json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("freed %llu chunks (%s); %llu chunks kept; store %s -> %s\n",
                static_cast<unsigned long long>(response.chunks_freed()),
                FormatBytes(response.bytes_freed()).c_str(),
                static_cast<unsigned long long>(response.chunks_kept()),
                FormatBytes(response.store_bytes_before()).c_str(),
                FormatBytes(response.store_bytes_after()).c_str());
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> FileCommands() {
  return {
      {"attach",
       "upload files and attach them to one of this node's materials",
       "Usage: minga attach ID FILE|DIR... [--name NAME] [--media-type TYPE]\n\n"
       "Uploads each FILE, and the files directly inside each DIR, and signs a\n"
       "new revision of ID listing each; a file of the same name is replaced\n"
       "(a material holds at most 64). One progress bar with bytes/s shows on a\n"
       "terminal. Content already stored (the same file elsewhere) is not stored\n"
       "again. The media type is guessed from the extension unless given.\n",
       {{"name", "media-type"}, {}, {}},
       Attach},
      {"files",
       "a material's files and which are complete here",
       "Usage: minga files ID\n",
       {},
       Files},
      {"fetch",
       "download a file of a material",
       "Usage: minga fetch ID NAME [-o PATH] [--local]\n\n"
       "Writes the file to PATH (default NAME), through PATH.part, checking its\n"
       "SHA-256 against the signed material. Chunks not here yet are fetched\n"
       "from peers first unless --local or the peer's file policy is none. An\n"
       "interrupted fetch continues from its .part file.\n",
       {{"o", "output"}, {}, {"local"}},
       Fetch},
      {"gc",
       "remove stored chunks no material lists and reclaim the space",
       "Usage: minga gc\n",
       {},
       Gc},
  };
}

}  // namespace minga::cli
