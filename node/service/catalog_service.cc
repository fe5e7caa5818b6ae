// CatalogService: the catalog's gRPC methods. About 400 lines because the
// Attach and Fetch reactors are nested classes of the service, as in
// federation_service.cc.
#include "node/service/catalog_service.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "node/catalog/upload.h"
#include "node/core/chunker.h"
#include "node/net/grpc_status.h"
#include "node/service/raw_unary.h"
#include "node/service/reactor_lock.h"
#include "node/service/wire_check.h"

namespace minga {
namespace {

// The admin API's messages, as the catalog's own types.
PutItem ItemOf(v1::PutRequest request) {
  PutItem item;
  item.material = std::move(*request.mutable_material());
  if (request.has_audience()) item.audience = std::move(*request.mutable_audience());
  item.if_version = request.if_version();
  item.create_only = request.create_only();
  return item;
}

ListQuery QueryOf(const v1::ListRequest& request) {
  ListQuery query;
  query.by_sequence = request.order() == v1::ListRequest::BY_SEQUENCE;
  query.origin = request.origin();
  query.include_headers_only = request.include_headers_only();
  query.page_size = request.page_size();
  query.page_token = request.page_token();
  query.include_chunk_hashes = request.include_chunk_hashes();
  return query;
}

}  // namespace

grpc::ServerUnaryReactor* CatalogService::Put(grpc::CallbackServerContext* c, const Raw* in,
                                              Raw* out) {
  return RawUnary<v1::PutRequest, v1::PutResponse>(
      c, in, out, deps_.workers, [this](v1::PutRequest& r) -> absl::StatusOr<v1::PutResponse> {
        absl::StatusOr<v1::MaterialView> view =
            deps_.catalog->local().Put(ItemOf(std::move(r)), actor_);
        if (!view.ok()) return view.status();
        v1::PutResponse response;
        *response.mutable_material() = std::move(*view);
        return response;
      });
}

grpc::ServerUnaryReactor* CatalogService::PutMany(grpc::CallbackServerContext* c, const Raw* in,
                                                  Raw* out) {
  return RawUnary<v1::PutManyRequest, v1::PutManyResponse>(
      c, in, out, deps_.workers,
      [this](v1::PutManyRequest& r) -> absl::StatusOr<v1::PutManyResponse> {
        std::vector<PutItem> items;
        items.reserve(r.items_size());
        for (v1::PutRequest& item : *r.mutable_items()) items.push_back(ItemOf(std::move(item)));
        absl::StatusOr<std::vector<PutOutcome>> outcomes =
            deps_.catalog->local().PutMany(std::move(items), actor_);
        if (!outcomes.ok()) return outcomes.status();
        v1::PutManyResponse response;
        for (size_t i = 0; i < outcomes->size(); ++i) {
          const PutOutcome& outcome = (*outcomes)[i];
          v1::PutResult* result = response.add_results();
          result->set_index(i);
          result->set_id(outcome.id);
          result->set_version(outcome.version);
          result->set_code(static_cast<int>(outcome.status.code()));
          result->set_error(std::string(outcome.status.message()));
        }
        return response;
      });
}

grpc::ServerUnaryReactor* CatalogService::Get(grpc::CallbackServerContext* c, const Raw* in,
                                              Raw* out) {
  return RawUnary<v1::GetRequest, v1::GetResponse>(
      c, in, out, deps_.workers,
      [this](const v1::GetRequest& r) -> absl::StatusOr<v1::GetResponse> {
        absl::StatusOr<v1::MaterialView> view = deps_.catalog->Get(r.id());
        if (!view.ok()) return view.status();
        v1::GetResponse response;
        *response.mutable_material() = std::move(*view);
        return response;
      });
}

grpc::ServerUnaryReactor* CatalogService::Delete(grpc::CallbackServerContext* c, const Raw* in,
                                                 Raw* out) {
  return RawUnary<v1::DeleteRequest, v1::DeleteResponse>(
      c, in, out, deps_.workers,
      [this](const v1::DeleteRequest& r) -> absl::StatusOr<v1::DeleteResponse> {
        absl::StatusOr<v1::MaterialView> view =
            deps_.catalog->local().Delete(r.id(), r.if_version(), actor_);
        if (!view.ok()) return view.status();
        v1::DeleteResponse response;
        *response.mutable_material() = std::move(*view);
        return response;
      });
}

grpc::ServerUnaryReactor* CatalogService::List(grpc::CallbackServerContext* c, const Raw* in,
                                               Raw* out) {
  return RawUnary<v1::ListRequest, v1::ListResponse>(
      c, in, out, deps_.workers,
      [this](const v1::ListRequest& r) -> absl::StatusOr<v1::ListResponse> {
        absl::StatusOr<ListPage> page = deps_.catalog->List(QueryOf(r));
        if (!page.ok()) return page.status();
        v1::ListResponse response;
        for (v1::MaterialView& view : page->materials) *response.add_materials() = std::move(view);
        response.set_next_page_token(std::move(page->next_page_token));
        return response;
      });
}

grpc::ServerUnaryReactor* CatalogService::Search(grpc::CallbackServerContext* c, const Raw* in,
                                                 Raw* out) {
  return RawUnary<v1::SearchRequest, v1::SearchResponse>(
      c, in, out, deps_.workers,
      [this](const v1::SearchRequest& r) { return deps_.search->Search(r); });
}

grpc::ServerUnaryReactor* CatalogService::ListFiles(grpc::CallbackServerContext* c, const Raw* in,
                                                    Raw* out) {
  return RawUnary<v1::ListFilesRequest, v1::ListFilesResponse>(
      c, in, out, deps_.workers,
      [this](const v1::ListFilesRequest& r) -> absl::StatusOr<v1::ListFilesResponse> {
        absl::StatusOr<std::vector<FileProgress>> files = deps_.catalog->files().ListFiles(r.id());
        if (!files.ok()) return files.status();
        v1::ListFilesResponse response;
        absl::StatusOr<std::optional<Entry>> entry = deps_.catalog->GetEntry(r.id());
        const FileFetcher* fetcher = deps_.sync->files();
        if (entry.ok() && entry->has_value() && fetcher != nullptr) {
          response.set_policy(fetcher->PolicyOf(**entry));
          const std::string& from = (*entry)->stored.provenance().from_peer();
          response.set_from_peer(from);
          if (!from.empty()) {
            response.set_from_peer_bytes_per_second(fetcher->BytesPerSecondFrom(from));
          }
        }
        const uint64_t rate = response.from_peer_bytes_per_second();
        for (FileProgress& f : *files) {
          v1::FileState* state = response.add_files();
          // Optimistic: as if this file had the whole rate.
          if (!f.complete && rate > 0 && f.file.size() > f.bytes_present) {
            state->set_seconds_left((f.file.size() - f.bytes_present) / rate + 1);
          }
          *state->mutable_file() = std::move(f.file);
          state->set_chunks_present(f.chunks_present);
          state->set_bytes_present(f.bytes_present);
          state->set_complete(f.complete);
        }
        return response;
      });
}

// An upload: a Start, Data messages, a Finish; each message is handled on
// the workers, and the next is read once it is done (so a slow store slows
// the client, not the node's memory). At most one read or one task is in
// flight.
class CatalogService::AttachReactor : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  AttachReactor(CatalogService* service, grpc::ByteBuffer* response)
      : service_(service), response_(response) {
    StartRead(&in_);
  }

  // One task at a time handles the stream (the next read starts when it is
  // done), so the reactor's state needs no lock; Finish comes last, as it
  // may delete the reactor.
  void OnReadDone(bool ok) override {
    service_->deps_.workers->Post([this, ok] {
      absl::Status s = ok ? Take() : End();
      if (!s.ok()) {
        // What it stored goes before the client hears the answer.
        upload_.reset();
        Finish(ToGrpcStatus(s));
      } else if (ok) {
        StartRead(&in_);
      } else {
        Finish(grpc::Status::OK);  // attached; the response is in place
      }
    });
  }
  void OnDone() override {
    // Destroying the upload removes what an unfinished one stored.
    delete this;
  }

 private:
  // One message of the stream.
  absl::Status Take() {
    // Data, most of the stream, goes to the upload from gRPC's slices.
    if (upload_ != nullptr && !finish_.has_value()) {
      std::optional<BytesField> data = SoleBytesField(in_, v1::AttachRequest::kDataFieldNumber);
      if (data.has_value()) return upload_->Add(data->pieces);
    }
    absl::StatusOr<v1::AttachRequest> m = ParseRequest<v1::AttachRequest>(in_);
    if (!m.ok()) return m.status();
    if (upload_ == nullptr) {
      if (!m->has_start()) {
        return absl::InvalidArgumentError("start: the first message must be a Start");
      }
      absl::StatusOr<std::unique_ptr<Upload>> upload =
          Upload::Begin(service_->deps_.catalog, m->start().material_id(), m->start().name(),
                        m->start().media_type(), m->start().size(), service_->actor_);
      if (!upload.ok()) return upload.status();
      upload_ = std::move(*upload);
      return absl::OkStatus();
    }
    if (finish_.has_value()) {
      return absl::InvalidArgumentError("finish: nothing may follow Finish");
    }
    switch (m->part_case()) {
      case v1::AttachRequest::kFinish:
        finish_ = m->finish();
        return absl::OkStatus();
      case v1::AttachRequest::kData:
        return upload_->Add(m->data());
      default:
        return absl::InvalidArgumentError("start: sent twice");
    }
  }

  // The client finished sending (or left): attach, or keep nothing.
  absl::Status End() {
    if (upload_ == nullptr || !finish_.has_value()) {
      return absl::AbortedError("the upload ended before its Finish message; nothing was kept");
    }
    absl::StatusOr<Upload::Attached> attached = upload_->Finish(finish_->size(), finish_->sha256());
    if (!attached.ok()) return attached.status();
    v1::AttachResponse response;
    *response.mutable_material() = std::move(attached->material);
    *response.mutable_file() = std::move(attached->file);
    response.set_new_chunks(attached->new_chunks);
    ToByteBuffer(response, response_);
    return absl::OkStatus();
  }

  CatalogService* const service_;
  grpc::ByteBuffer* const response_;
  grpc::ByteBuffer in_;
  std::unique_ptr<Upload> upload_;
  std::optional<v1::AttachRequest::Finish> finish_;
};

grpc::ServerReadReactor<grpc::ByteBuffer>* CatalogService::Attach(grpc::CallbackServerContext*,
                                                                  Raw* out) {
  return new AttachReactor(this, out);
}

// A download: the missing chunks are fetched from peers first (on the long
// workers, within the call's deadline), then the file is read and sent a
// chunk at a time. At most one task or one write is in flight.
class CatalogService::FetchReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  FetchReactor(CatalogService* service, grpc::CallbackServerContext* context,
               const grpc::ByteBuffer* request)
      : service_(service), context_(context) {
    ReactorLock lock(this);
    busy_ = true;
    service_->deps_.long_workers->Post([this, request] {
      absl::Status s = Prepare(*request);
      ReactorLock lock(this);
      busy_ = false;
      if (!s.ok()) {
        FinishLocked(ToGrpcStatus(s));
        return;
      }
      next_chunk_ = first_chunk_;
      NextLocked();
    });
  }

  void OnWriteDone(bool ok) override {
    ReactorLock lock(this);
    busy_ = false;
    if (!ok) {
      FinishLocked(grpc::Status::OK);  // the client left
      return;
    }
    NextLocked();
  }
  void OnCancel() override {
    ReactorLock lock(this);
    FinishLocked(grpc::Status::CANCELLED);
  }
  void OnDone() override { delete this; }

 private:
  // Finds the file and brings what is missing. Runs alone (busy_).
  absl::Status Prepare(const grpc::ByteBuffer& raw) {
    absl::StatusOr<v1::FetchRequest> request = ParseRequest<v1::FetchRequest>(raw);
    if (!request.ok()) return request.status();
    const CatalogServiceDeps& deps = service_->deps_;
    absl::StatusOr<std::optional<Entry>> entry = deps.catalog->GetEntry(request->id());
    if (!entry.ok()) return entry.status();
    if (!entry->has_value() || !(*entry)->has_body()) {
      return absl::NotFoundError(
          absl::StrCat("id: no material '", request->id(), "' is held here with its content"));
    }
    for (const v1::FileInfo& f : (*entry)->material->files()) {
      if (f.name() == request->name()) file_ = f;
    }
    if (file_.name().empty()) {
      return absl::NotFoundError(
          absl::StrCat("name: '", request->id(), "' has no file '", request->name(), "'"));
    }
    if (request->offset() > file_.size()) {
      return absl::OutOfRangeError(absl::StrCat("offset: ", request->offset(),
                                                " is past the end of the file (", file_.size(),
                                                " bytes)"));
    }
    offset_ = request->offset();
    spans_ = ChunkSpans(file_);
    first_chunk_ = std::partition_point(
                       spans_.begin(), spans_.end(),
                       [this](const ChunkSpan& c) { return c.offset + c.length <= offset_; }) -
                   spans_.begin();
    // Only this file's chunks matter, not its siblings'.
    const std::vector<std::string> chunks(file_.chunk_sha256().begin(), file_.chunk_sha256().end());
    absl::StatusOr<std::vector<std::string>> missing = deps.catalog->files().MissingChunks(chunks);
    if (!missing.ok()) return missing.status();
    if (missing->empty()) return absl::OkStatus();
    if (request->local_only() || deps.sync->files() == nullptr) {
      return absl::UnavailableError(
          absl::StrCat(missing->size(), " chunks of '", file_.name(), "' are not stored here yet"));
    }
    // Within the call's deadline, and at most an hour when it has none.
    const absl::Duration wait = std::min(
        absl::Hours(1), absl::FromChrono(context_->deadline() - std::chrono::system_clock::now()) -
                            absl::Seconds(1));
    return deps.sync->files()->FetchNow(request->id(), chunks, std::max(wait, absl::Seconds(1)),
                                        [this] { return context_->IsCancelled(); });
  }

  void NextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finish_.asked().has_value()) {
      FinishLocked(*finish_.asked());
      return;
    }
    if (next_chunk_ >= spans_.size()) {
      if (!sent_any_) {
        // An empty file, or an offset at its end: one message says so.
        out_.Clear();
        v1::FetchResponse response;
        *response.mutable_file() = file_;
        response.set_offset(offset_);
        ToByteBuffer(response, &out_);
        sent_any_ = true;
        busy_ = true;
        StartWrite(&out_);
        return;
      }
      FinishLocked(grpc::Status::OK);
      return;
    }
    const uint64_t i = next_chunk_++;
    busy_ = true;
    service_->deps_.workers->Post([this, i] {
      absl::StatusOr<std::optional<std::string>> chunk =
          service_->deps_.catalog->files().ReadChunk(file_.chunk_sha256(static_cast<int>(i)));
      ReactorLock lock(this);
      busy_ = false;
      if (!chunk.ok()) {
        FinishLocked(ToGrpcStatus(chunk.status()));
        return;
      }
      if (!chunk->has_value()) {
        FinishLocked(ToGrpcStatus(absl::UnavailableError(
            absl::StrCat("chunk ", i, " of '", file_.name(), "' was removed meanwhile"))));
        return;
      }
      if (finish_.asked().has_value()) {
        FinishLocked(*finish_.asked());
        return;
      }
      v1::FetchResponse response;
      if (!sent_any_) *response.mutable_file() = file_;
      // Clamped: a file signed with chunks shorter than its size implies
      // must not make the read run past a chunk.
      const ChunkSpan& span = spans_[i];
      const uint64_t begin =
          std::min<uint64_t>(i == first_chunk_ ? offset_ - span.offset : 0, (*chunk)->size());
      response.set_offset(span.offset + begin);
      response.set_data((*chunk)->substr(begin));
      ToByteBuffer(response, &out_);
      sent_any_ = true;
      busy_ = true;
      StartWrite(&out_);
    });
  }

  void FinishLocked(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    finish_.Ask(status, busy_);
  }

  CatalogService* const service_;
  grpc::CallbackServerContext* const context_;
  absl::Mutex mu_;
  // Set by Prepare before any write; read after.
  v1::FileInfo file_;
  uint64_t offset_ = 0;
  std::vector<ChunkSpan> spans_;
  uint64_t first_chunk_ = 0;  // the one holding offset_
  uint64_t next_chunk_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ByteBuffer out_ ABSL_GUARDED_BY(mu_);
  bool sent_any_ ABSL_GUARDED_BY(mu_) = false;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  ReactorFinish finish_ ABSL_GUARDED_BY(mu_);
  friend class ReactorLock<FetchReactor>;
};

grpc::ServerWriteReactor<grpc::ByteBuffer>* CatalogService::Fetch(grpc::CallbackServerContext* c,
                                                                  const Raw* in) {
  return new FetchReactor(this, c, in);
}

}  // namespace minga
