#include "node/catalog/upload.h"

#include "absl/strings/str_cat.h"
#include "node/core/limits.h"
#include "node/core/log.h"
#include "node/core/status_macros.h"
#include "node/core/validate.h"

namespace minga {

absl::StatusOr<std::unique_ptr<Upload>> Upload::Begin(Catalog* catalog,
                                                      absl::string_view material_id,
                                                      absl::string_view name,
                                                      absl::string_view media_type, uint64_t size,
                                                      std::string actor) {
  ASSIGN_OR_RETURN(std::optional<Entry> held, catalog->GetEntry(material_id));
  if (!held.has_value() || held->header.deleted()) {
    return absl::NotFoundError(
        absl::StrCat("start.material_id: no material '", material_id, "' is held here"));
  }
  if (held->header.origin() != catalog->org_id()) {
    return absl::PermissionDeniedError(absl::StrCat("start.material_id: '", material_id,
                                                    "' belongs to '", held->header.origin(),
                                                    "'; only its origin attaches files"));
  }
  // The name and media type are checked as a file entry would be; the
  // hash and size are not known yet.
  v1::FileInfo probe;
  probe.set_name(std::string(name));
  probe.set_media_type(std::string(media_type));
  probe.set_sha256(std::string(32, '\0'));
  RETURN_IF_ERROR(ValidateFileInfo(probe, "start"));
  // The chunks of the material's other files (a file of the same name is
  // replaced).
  uint64_t other_chunks = 0;
  if (held->has_body()) {
    for (const v1::FileInfo& f : held->material->files()) {
      if (f.name() != name) other_chunks += f.chunk_sha256_size();
    }
  }
  const Chunker::Layout layout = FixedChunksNeeded(size, other_chunks)
                                     ? Chunker::Layout::kFixed
                                     : Chunker::Layout::kContentDefined;
  return std::unique_ptr<Upload>(new Upload(catalog, std::string(material_id), std::string(name),
                                            std::string(media_type), layout, std::move(actor)));
}

Upload::Upload(Catalog* catalog, std::string material_id, std::string name, std::string media_type,
               Chunker::Layout layout, std::string actor)
    : catalog_(catalog),
      material_id_(std::move(material_id)),
      name_(std::move(name)),
      media_type_(std::move(media_type)),
      actor_(std::move(actor)),
      chunker_([this](const Sha256Digest& d, absl::string_view data) { return Store(d, data); },
               layout) {}

Upload::~Upload() {
  for (const std::string& sha : pinned_) catalog_->files().UnpinChunk(sha);
  // Every chunk it pinned, not only those it wrote: a retraction may have
  // spared a chunk it found already here because of the pin. Once attached
  // they are listed and stay; their upload marks go either way.
  absl::Status dropped =
      catalog_->files().DropUnlisted(std::vector<std::string>(pinned_.begin(), pinned_.end()));
  if (!dropped.ok())
    LogError("catalog", absl::StrCat("cleaning up an upload: ", dropped.message()));
}

absl::Status Upload::Store(const Sha256Digest& digest, absl::string_view data) {
  const std::string sha = DigestToBytes(digest);
  if (pinned_.insert(sha).second) catalog_->files().PinChunk(sha);
  ASSIGN_OR_RETURN(bool has, catalog_->files().HasChunk(sha));
  if (has) return absl::OkStatus();  // stored once, however many files use it
  ++written_;
  return catalog_->files().StoreUploadedChunk(sha, data);
}

absl::Status Upload::Add(absl::string_view data) { return Add(absl::MakeConstSpan(&data, 1)); }

absl::Status Upload::Add(absl::Span<const absl::string_view> pieces) {
  size_t size = 0;
  for (absl::string_view piece : pieces) size += piece.size();
  if (size > kChunkSize) return absl::InvalidArgumentError("data: at most 1 MiB per message");
  for (absl::string_view piece : pieces) RETURN_IF_ERROR(chunker_.Add(piece));
  return absl::OkStatus();
}

absl::StatusOr<Upload::Attached> Upload::Finish(uint64_t size, absl::string_view sha256) {
  ASSIGN_OR_RETURN(v1::FileInfo file, chunker_.Finish());
  if (file.size() != size || file.sha256() != sha256) {
    return absl::DataLossError(absl::StrCat("finish: the node received ", file.size(), " bytes",
                                            file.size() == size ? " with another SHA-256" : "",
                                            " but the client sent ", size, "; nothing was kept"));
  }
  file.set_name(name_);
  file.set_media_type(media_type_);
  ASSIGN_OR_RETURN(v1::MaterialView view, catalog_->local().AttachFile(material_id_, file, actor_));
  Attached out;
  out.material = std::move(view);
  for (const v1::FileInfo& f : out.material.material().files()) {
    if (f.name() == name_) out.file = f;
  }
  out.new_chunks = written_;
  return out;
}

}  // namespace minga
