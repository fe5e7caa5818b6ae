// CatalogService: file upload, listing and download.
#include <set>

#include "absl/strings/str_cat.h"
#include "node/core/chunker.h"
#include "node/core/limits.h"
#include "node/core/log.h"
#include "node/core/validate.h"
#include "node/net/grpc_status.h"
#include "node/service/catalog_service.h"

namespace minga {
namespace {

// Pins what an upload stores and, unless the file got attached, removes it
// again: an upload cut short leaves nothing behind.
class UploadChunks {
 public:
  explicit UploadChunks(Catalog* catalog) : catalog_(catalog) {}
  ~UploadChunks() {
    for (const std::string& sha : pinned_) catalog_->UnpinChunk(sha);
    if (!attached_) {
      // Every chunk it pinned, not only those it wrote: a retraction may
      // have spared a chunk it found already here because of the pin.
      absl::Status dropped =
          catalog_->DropUnlisted(std::vector<std::string>(pinned_.begin(), pinned_.end()));
      if (!dropped.ok()) LogError(absl::StrCat("cleaning up an upload: ", dropped.message()));
    }
  }
  absl::Status Store(const Sha256Digest& digest, absl::string_view data) {
    const std::string sha = DigestToBytes(digest);
    if (pinned_.insert(sha).second) catalog_->PinChunk(sha);
    absl::StatusOr<bool> has = catalog_->HasChunk(sha);
    if (!has.ok()) return has.status();
    if (*has) return absl::OkStatus();  // stored once, however many files use it
    written_.push_back(sha);
    return catalog_->StoreChunk(sha, data, /*only_if_wanted=*/false);
  }
  void Attached() { attached_ = true; }
  uint32_t written() const { return written_.size(); }

 private:
  Catalog* const catalog_;
  std::set<std::string> pinned_;
  std::vector<std::string> written_;
  bool attached_ = false;
};

}  // namespace

grpc::Status CatalogService::Attach(grpc::ServerContext* context,
                                    grpc::ServerReader<v1::AttachRequest>* reader,
                                    v1::AttachResponse* response) {
  v1::AttachRequest message;
  if (!reader->Read(&message) || !message.has_start()) {
    return ToGrpcStatus(absl::InvalidArgumentError("start: the first message must be a Start"));
  }
  const v1::AttachRequest::Start start = message.start();
  // Refuse early, before any byte is stored.
  absl::StatusOr<std::optional<Entry>> held = catalog_->GetEntry(start.material_id());
  if (!held.ok()) return ToGrpcStatus(held.status());
  if (!held->has_value() || (*held)->header.deleted()) {
    return ToGrpcStatus(absl::NotFoundError(
        absl::StrCat("start.material_id: no material '", start.material_id(), "' is held here")));
  }
  if ((*held)->header.origin() != catalog_->org_id()) {
    return ToGrpcStatus(absl::PermissionDeniedError(absl::StrCat(
        "start.material_id: '", start.material_id(), "' belongs to '",
        (*held)->header.origin(), "'; only its origin attaches files")));
  }
  v1::FileInfo probe;
  probe.set_name(start.name());
  probe.set_media_type(start.media_type());
  probe.set_sha256(std::string(32, '\0'));
  absl::Status name_ok = ValidateFileInfo(probe, "start");
  if (!name_ok.ok()) return ToGrpcStatus(name_ok);

  UploadChunks chunks(catalog_);
  Chunker chunker([&](const Sha256Digest& d, absl::string_view data) { return chunks.Store(d, data); });
  std::optional<v1::AttachRequest::Finish> finish;
  while (reader->Read(&message)) {
    if (finish.has_value()) {
      return ToGrpcStatus(absl::InvalidArgumentError("finish: nothing may follow Finish"));
    }
    if (message.has_finish()) {
      finish = message.finish();
    } else if (message.part_case() == v1::AttachRequest::kData) {
      if (message.data().size() > kChunkSize) {
        return ToGrpcStatus(absl::InvalidArgumentError("data: at most 1 MiB per message"));
      }
      absl::Status added = chunker.Add(message.data());
      if (!added.ok()) return ToGrpcStatus(added);
    } else {
      return ToGrpcStatus(absl::InvalidArgumentError("start: sent twice"));
    }
  }
  if (!finish.has_value() || context->IsCancelled()) {
    return ToGrpcStatus(absl::AbortedError(
        "the upload ended before its Finish message; nothing was kept"));
  }
  absl::StatusOr<v1::FileInfo> file = chunker.Finish();
  if (!file.ok()) return ToGrpcStatus(file.status());
  if (file->size() != finish->size() || file->sha256() != finish->sha256()) {
    return ToGrpcStatus(absl::DataLossError(absl::StrCat(
        "finish: the node received ", file->size(), " bytes",
        file->size() == finish->size() ? " with another SHA-256" : "",
        " but the client sent ", finish->size(), "; nothing was kept")));
  }
  file->set_name(start.name());
  file->set_media_type(start.media_type());
  absl::StatusOr<v1::MaterialView> view =
      catalog_->AttachFile(start.material_id(), *file, actor_);
  if (!view.ok()) return ToGrpcStatus(view.status());
  chunks.Attached();
  *response->mutable_material() = std::move(*view);
  for (const v1::FileInfo& f : response->material().material().files()) {
    if (f.name() == start.name()) *response->mutable_file() = f;
  }
  response->set_new_chunks(chunks.written());
  return grpc::Status::OK;
}

grpc::Status CatalogService::ListFiles(grpc::ServerContext*, const v1::ListFilesRequest* request,
                                       v1::ListFilesResponse* response) {
  absl::StatusOr<v1::ListFilesResponse> files = catalog_->ListFiles(request->id());
  if (!files.ok()) return ToGrpcStatus(files.status());
  *response = std::move(*files);
  absl::StatusOr<std::optional<Entry>> entry = catalog_->GetEntry(request->id());
  if (entry.ok() && entry->has_value() && sync_->files() != nullptr) {
    response->set_policy(sync_->files()->PolicyOf(**entry));
  }
  return grpc::Status::OK;
}

grpc::Status CatalogService::Fetch(grpc::ServerContext* context, const v1::FetchRequest* request,
                                   grpc::ServerWriter<v1::FetchResponse>* writer) {
  absl::StatusOr<std::optional<Entry>> entry = catalog_->GetEntry(request->id());
  if (!entry.ok()) return ToGrpcStatus(entry.status());
  if (!entry->has_value() || !(*entry)->has_body()) {
    return ToGrpcStatus(absl::NotFoundError(
        absl::StrCat("id: no material '", request->id(), "' is held here with its content")));
  }
  const v1::FileInfo* file = nullptr;
  for (const v1::FileInfo& f : (*entry)->material->files()) {
    if (f.name() == request->name()) file = &f;
  }
  if (file == nullptr) {
    return ToGrpcStatus(absl::NotFoundError(
        absl::StrCat("name: '", request->id(), "' has no file '", request->name(), "'")));
  }
  if (request->offset() > file->size()) {
    return ToGrpcStatus(absl::OutOfRangeError(absl::StrCat(
        "offset: ", request->offset(), " is past the end of the file (", file->size(), " bytes)")));
  }
  // Only this file's chunks matter, not its siblings'.
  const std::vector<std::string> chunks(file->chunk_sha256().begin(), file->chunk_sha256().end());
  absl::StatusOr<std::vector<std::string>> missing = catalog_->MissingChunks(chunks);
  if (!missing.ok()) return ToGrpcStatus(missing.status());
  if (!missing->empty()) {
    if (request->local_only() || sync_->files() == nullptr) {
      return ToGrpcStatus(absl::UnavailableError(absl::StrCat(
          missing->size(), " chunks of '", file->name(), "' are not stored here yet")));
    }
    // Within the call's deadline, and at most an hour when it has none.
    const absl::Duration wait = std::min(
        absl::Hours(1),
        absl::FromChrono(context->deadline() - std::chrono::system_clock::now()) - absl::Seconds(1));
    absl::Status fetched = sync_->files()->FetchNow(request->id(), chunks,
                                                    std::max(wait, absl::Seconds(1)),
                                                    [context] { return context->IsCancelled(); });
    if (!fetched.ok()) return ToGrpcStatus(fetched);
  }
  const uint64_t first = request->offset() / kChunkSize;
  for (uint64_t i = first; i < static_cast<uint64_t>(file->chunk_sha256_size()); ++i) {
    if (context->IsCancelled()) return grpc::Status::CANCELLED;
    absl::StatusOr<std::optional<std::string>> chunk = catalog_->ReadChunk(file->chunk_sha256(i));
    if (!chunk.ok()) return ToGrpcStatus(chunk.status());
    if (!chunk->has_value()) {
      return ToGrpcStatus(absl::UnavailableError(
          absl::StrCat("chunk ", i, " of '", file->name(), "' was removed meanwhile")));
    }
    v1::FetchResponse out;
    if (i == first) *out.mutable_file() = *file;
    // Clamped: a file signed with chunks shorter than its size implies
    // must not make the read run past a chunk.
    const uint64_t begin =
        std::min<uint64_t>(i == first ? request->offset() - i * kChunkSize : 0, (*chunk)->size());
    out.set_offset(i * kChunkSize + begin);
    out.set_data((*chunk)->substr(begin));
    if (!writer->Write(out)) return grpc::Status::OK;
  }
  if (first == static_cast<uint64_t>(file->chunk_sha256_size())) {
    v1::FetchResponse out;  // an empty file, or an offset at its end
    *out.mutable_file() = *file;
    out.set_offset(request->offset());
    writer->Write(out);
  }
  return grpc::Status::OK;
}

}  // namespace minga
