// Upload: one file being attached to one of this node's materials, as it
// streams in. It chunks and hashes the bytes, stores each 1 MiB chunk once
// (content addressed), and on Finish checks the whole file against what
// the client says it sent and attaches it with a new signed revision (a
// file of the same name is replaced).
//
// The chunks it stores are pinned while it runs, so a concurrent
// retraction or gc does not delete them; an upload that is not finished
// (the client left, a check failed) removes what it stored when destroyed:
// an upload cut short leaves nothing behind.
//
// Errors name the part of the upload at fault ("start.name: ...",
// "finish: ..."): INVALID_ARGUMENT, NOT_FOUND (no such material),
// PERMISSION_DENIED (another origin's), DATA_LOSS (size or hash differ),
// or the store's.
//
// Thread safety: one thread at a time; the catalog is shared.
#ifndef MINGA_NODE_CATALOG_UPLOAD_H_
#define MINGA_NODE_CATALOG_UPLOAD_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "node/catalog/catalog.h"
#include "node/core/chunker.h"

namespace minga {

class Upload {
 public:
  // Checks that `material_id` is this node's, held and not retracted, and
  // that the name and media type are valid, before any byte is stored.
  // `size`: the file's size as the client announced it, 0 when unknown;
  // it chooses the chunk layout (FixedChunksNeeded).
  // catalog: borrowed, must outlive the upload.
  static absl::StatusOr<std::unique_ptr<Upload>> Begin(Catalog* catalog,
                                                       absl::string_view material_id,
                                                       absl::string_view name,
                                                       absl::string_view media_type, uint64_t size,
                                                       std::string actor);
  ~Upload();
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;

  // The next bytes of the file (at most 1 MiB a call), whole or in pieces
  // that follow each other.
  absl::Status Add(absl::string_view data);
  absl::Status Add(absl::Span<const absl::string_view> pieces);

  struct Attached {
    v1::MaterialView material;
    v1::FileInfo file;
    uint32_t new_chunks = 0;  // the rest were held already
  };
  // The client's count and hash of what it sent; attaches the file.
  absl::StatusOr<Attached> Finish(uint64_t size, absl::string_view sha256);

 private:
  Upload(Catalog* catalog, std::string material_id, std::string name, std::string media_type,
         Chunker::Layout layout, std::string actor);
  absl::Status Store(const Sha256Digest& digest, absl::string_view data);

  Catalog* const catalog_;
  const std::string material_id_;
  const std::string name_;
  const std::string media_type_;
  const std::string actor_;
  Chunker chunker_;
  std::set<std::string> pinned_;
  uint32_t written_ = 0;
};

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_UPLOAD_H_
