#include "node/catalog/local_writes.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "node/catalog/chunk_refs.h"
#include "node/core/audience.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/parallel.h"
#include "node/core/revision.h"
#include "node/core/status_macros.h"
#include "node/core/validate.h"
#include "node/store/keys.h"

namespace minga {
namespace {

bool IsItemError(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kNotFound:
      return true;
    default:
      return false;
  }
}

std::string SerializeBody(const v1::Material& m) {
  // Deterministic, so the same material always hashes the same (map order).
  std::string body;
  google::protobuf::io::StringOutputStream stream(&body);
  google::protobuf::io::CodedOutputStream out(&stream);
  out.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&out);
  out.Trim();
  return body;
}

}  // namespace

absl::StatusOr<LocalWrites::PreparedPut> LocalWrites::PreparePut(PutItem item) const {
  PreparedPut put;
  put.material = std::move(item.material);
  NormalizeMaterial(&put.material);
  RETURN_IF_ERROR(ValidateMaterial(put.material, Strictness::kLocal));
  std::string& id = *put.material.mutable_id();
  if (id.find('/') != std::string::npos) {
    ASSIGN_OR_RETURN(MaterialId parsed, ParseMaterialId(id, "id"));
    if (parsed.origin != options_.org_id) {
      return absl::PermissionDeniedError(absl::StrCat("id: '", id, "' belongs to '", parsed.origin,
                                                      "'; this node is '", options_.org_id,
                                                      "' and writes only its own materials"));
    }
  } else if (!id.empty()) {
    // ValidateMaterial (above) has checked the local id.
    id = absl::StrCat(options_.org_id, "/", id);
  }
  put.audience_given =
      item.audience.has_value() && item.audience->scope() != v1::Audience::SCOPE_UNSPECIFIED;
  put.audience = std::move(item.audience).value_or(v1::Audience());
  RETURN_IF_ERROR(NormalizeAudience(&put.audience, options_.org_id, [this](absl::string_view org) {
    return options_.keyring->IsMember(org);
  }));
  put.if_version = item.if_version;
  put.create_only = item.create_only;
  // Serialised here, off the write lock; planning redoes it only when it
  // assigns the id or keeps the held files.
  if (!id.empty()) put.body = SerializeBody(put.material);
  return put;
}

absl::StatusOr<std::string> LocalWrites::AssignId(Pending* pending, const v1::Material& m,
                                                  const v1::Audience& audience,
                                                  const std::set<std::string>& reserved) {
  // Ids travel in signed headers to every member, so only a public
  // material's id may be made from its title.
  std::string slug = audience.scope() == v1::Audience::PUBLIC
                         ? SlugFromText(m.title())
                         : absl::StrCat("m-", absl::BytesToHexString(RandomBytes(6)));
  if (slug.empty()) slug = "material";
  for (int n = 1; n < 10000; ++n) {
    const std::string id = n == 1 ? absl::StrCat(options_.org_id, "/", slug)
                                  : absl::StrCat(options_.org_id, "/", slug, "-", n);
    if (reserved.count(id)) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> held, pending->txn.Get(Cf::kMaterials, id));
    if (!held.has_value()) return id;
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("id: too many materials titled like '", slug, "'; give an id"));
}

absl::StatusOr<LocalWrites::PlannedPut> LocalWrites::PlanPutLocked(
    Pending* pending, PreparedPut put, const std::set<std::string>& reserved) {
  PlannedPut plan;
  v1::Material& m = put.material;
  bool body_stale = put.body.empty();
  if (m.id().empty()) {
    ASSIGN_OR_RETURN(*m.mutable_id(), AssignId(pending, m, put.audience, reserved));
  }
  plan.id = m.id();
  const std::string& id = plan.id;
  ASSIGN_OR_RETURN(plan.held, LoadEntry(&pending->txn, id));
  const std::optional<Entry>& held = plan.held;
  const bool live = held.has_value() && !held->header.deleted();
  // Bodies that reached a wider audience cannot be called back, so only an
  // explicit audience widens; re-importing a file without an audience
  // column keeps what `minga edit --audience` narrowed.
  if (!put.audience_given && held.has_value()) put.audience = held->header.audience();
  if (put.if_version != 0 && (!held.has_value() || held->header.version() != put.if_version)) {
    return absl::FailedPreconditionError(
        absl::StrCat("if_version: the held version of '", id, "' is ",
                     held.has_value() ? held->header.version() : 0, ", not ", put.if_version));
  }
  if (put.create_only && live) {
    return absl::AlreadyExistsError(absl::StrCat("id: '", id, "' already exists"));
  }
  // Files are attached with Attach. A put that lists no files keeps the
  // held ones; one that lists some keeps exactly those, which must be held
  // already (so a file is detached by putting the others).
  const bool has_held_files = live && held->has_body();
  if (put.files_from_node) {
    // AttachFile checked the chunks are stored.
  } else if (m.files().empty()) {
    if (has_held_files) {
      *m.mutable_files() = held->material->files();
      body_stale = true;
    }
  } else {
    for (int i = 0; i < m.files_size(); ++i) {
      const v1::FileInfo& f = m.files(i);
      const bool attached =
          has_held_files && std::any_of(held->material->files().begin(),
                                        held->material->files().end(), [&](const v1::FileInfo& h) {
                                          return h.name() == f.name() && h.sha256() == f.sha256();
                                        });
      if (!attached) {
        return absl::InvalidArgumentError(
            absl::StrCat("files[", i, "]: '", f.name(),
                         "' is not attached to this material; attach files with `minga attach`"));
      }
    }
  }
  if (held.has_value()) w_.versions().Observe(held->header.version());
  plan.body = body_stale ? SerializeBody(m) : std::move(put.body);
  if (plan.body.size() > kMaxBodyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("material: ", plan.body.size(), " bytes serialized, at most ", kMaxBodyBytes));
  }
  // Putting what is already held changes nothing: re-importing a file does
  // not mint new versions for every partner to pull.
  if (live && held->has_body() && held->stored.body() == plan.body &&
      held->header.audience().SerializeAsString() == put.audience.SerializeAsString()) {
    plan.unchanged = true;
    return plan;
  }
  ASSIGN_OR_RETURN(const uint64_t version, w_.versions().Next());
  plan.spec = RevisionSpec{id, version, false, put.audience, options_.clock->NowMicros()};
  plan.material = std::move(m);
  return plan;
}

void LocalWrites::SignPlanned(PlannedPut* plan, absl::string_view actor) const {
  if (plan->unchanged) return;
  v1::Revision revision = SignRevision(*options_.signing_key, plan->spec, std::move(plan->body));
  Entry& entry = plan->stored.emplace();
  *entry.stored.mutable_signed_() = std::move(*revision.mutable_signed_());
  entry.stored.set_signer(options_.signing_key->public_key().Fingerprint());
  entry.stored.set_body(std::move(*revision.mutable_body()));
  entry.stored.mutable_provenance()->set_received_unix_micros(plan->spec.time_unix_micros);
  entry.stored.mutable_provenance()->set_actor(std::string(actor));
  entry.header.ParseFromString(entry.stored.signed_().header());
  entry.material = std::move(plan->material);
}

absl::Status LocalWrites::FinishPutLocked(Pending* pending, PlannedPut* plan,
                                          absl::string_view actor) {
  if (plan->unchanged) return absl::OkStatus();
  return w_.StoreEntry(pending, plan->id, plan->held, &*plan->stored, actor, "put");
}

absl::StatusOr<v1::MaterialView> LocalWrites::PutLocked(Pending* pending, PreparedPut put,
                                                        absl::string_view actor) {
  ASSIGN_OR_RETURN(PlannedPut plan, PlanPutLocked(pending, std::move(put), {}));
  if (plan.unchanged) return MakeView(plan.id, *plan.held, *options_.keyring);
  SignPlanned(&plan, actor);
  RETURN_IF_ERROR(FinishPutLocked(pending, &plan, actor));
  return MakeView(plan.id, *plan.stored, *options_.keyring);
}

absl::StatusOr<v1::MaterialView> LocalWrites::Put(PutItem item, absl::string_view actor) {
  ASSIGN_OR_RETURN(PreparedPut put, PreparePut(std::move(item)));
  absl::MutexLock lock(&w_.mu);
  Pending pending = w_.Begin();
  ASSIGN_OR_RETURN(v1::MaterialView view, PutLocked(&pending, std::move(put), actor));
  RETURN_IF_ERROR(w_.Commit(&pending, /*sync=*/true));
  return view;
}

absl::StatusOr<std::vector<PutOutcome>> LocalWrites::PutMany(std::vector<PutItem> items,
                                                             absl::string_view actor) {
  if (items.size() > kMaxPutManyItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("items: ", items.size(), " items, at most ", kMaxPutManyItems));
  }
  const size_t n = items.size();
  std::vector<PutOutcome> results(n);
  std::vector<std::optional<PreparedPut>> prepared(n);
  // Validation needs no lock, and items are independent: on every core.
  ParallelForOrInline(options_.executor, n, [&](size_t i) {
    absl::StatusOr<PreparedPut> put = PreparePut(std::move(items[i]));
    if (put.ok()) {
      prepared[i] = std::move(*put);
    } else {
      results[i].status = put.status();
    }
  });
  // Freed after the lock is released: the runs' entries and the
  // transaction's copies are many small allocations, and freeing them held
  // the next call back.
  std::vector<std::vector<std::pair<size_t, PlannedPut>>> runs;
  std::optional<Pending> pending_store;
  CatalogWriter::Unsynced written;
  {
    absl::MutexLock lock(&w_.mu);
    Pending& pending = pending_store.emplace(w_.Begin());
    // In runs of items with distinct ids: each run is planned in order
    // (versions, ids, what is held), signed on every core, then stored in
    // order. An id seen again starts a new run, so it is planned against
    // what the earlier item stored.
    size_t start = 0;
    while (start < n) {
      std::vector<std::pair<size_t, PlannedPut>>& run = runs.emplace_back();
      std::set<std::string> ids;
      size_t i = start;
      for (; i < n; ++i) {
        if (!prepared[i].has_value()) continue;
        const std::string& given = prepared[i]->material.id();
        if (!given.empty() && ids.count(given)) break;
        absl::StatusOr<PlannedPut> plan = PlanPutLocked(&pending, std::move(*prepared[i]), ids);
        if (!plan.ok()) {
          if (!IsItemError(plan.status())) return plan.status();  // the store failed
          results[i].status = plan.status();
          continue;
        }
        ids.insert(plan->id);
        run.emplace_back(i, std::move(*plan));
      }
      ParallelForOrInline(options_.executor, run.size(),
                          [&](size_t k) { SignPlanned(&run[k].second, actor); });
      for (auto& [index, plan] : run) {
        RETURN_IF_ERROR(FinishPutLocked(&pending, &plan, actor));
        results[index].id = plan.id;
        results[index].version = plan.unchanged ? plan.held->header.version() : plan.spec.version;
      }
      start = i;
    }
    // Synced after the lock is released: the next call plans and signs
    // while this one waits for the disk, and nothing is acknowledged or
    // served to partners before it is there.
    ASSIGN_OR_RETURN(written, w_.CommitUnsynced(&pending));
  }
  RETURN_IF_ERROR(w_.Publish(std::move(written)));
  return results;
}

absl::StatusOr<v1::MaterialView> LocalWrites::Delete(absl::string_view id, uint64_t if_version,
                                                     absl::string_view actor) {
  ASSIGN_OR_RETURN(MaterialId parsed, ParseMaterialId(id, "id"));
  if (parsed.origin != options_.org_id) {
    return absl::PermissionDeniedError(absl::StrCat("id: '", id, "' belongs to '", parsed.origin,
                                                    "'; only its origin can retract it"));
  }
  absl::MutexLock lock(&w_.mu);
  Pending pending = w_.Begin();
  ASSIGN_OR_RETURN(std::optional<Entry> held, LoadEntry(&pending.txn, id));
  if (!held.has_value()) {
    return absl::NotFoundError(absl::StrCat("id: no material '", id, "' is held here"));
  }
  if (if_version != 0 && held->header.version() != if_version) {
    return absl::FailedPreconditionError(absl::StrCat("if_version: the held version of '", id,
                                                      "' is ", held->header.version(), ", not ",
                                                      if_version));
  }
  if (held->header.deleted()) return MakeView(id, *held, *options_.keyring);
  w_.versions().Observe(held->header.version());
  const int64_t now = options_.clock->NowMicros();
  ASSIGN_OR_RETURN(const uint64_t version, w_.versions().Next());
  RevisionSpec spec{std::string(id), version, true, held->header.audience(), now};
  v1::Revision revision = SignRevision(*options_.signing_key, spec, "");
  Entry entry;
  *entry.stored.mutable_signed_() = revision.signed_();
  entry.stored.set_signer(options_.signing_key->public_key().Fingerprint());
  entry.stored.mutable_provenance()->set_received_unix_micros(now);
  entry.stored.mutable_provenance()->set_actor(std::string(actor));
  entry.header.ParseFromString(revision.signed_().header());
  RETURN_IF_ERROR(w_.StoreEntry(&pending, std::string(id), held, &entry, actor, "delete"));
  RETURN_IF_ERROR(w_.Commit(&pending, /*sync=*/true));
  return MakeView(id, entry, *options_.keyring);
}

absl::StatusOr<v1::MaterialView> LocalWrites::AttachFile(absl::string_view id, v1::FileInfo file,
                                                         absl::string_view actor) {
  if (file.media_type().empty()) file.set_media_type("application/octet-stream");
  RETURN_IF_ERROR(ValidateFileInfo(file, "file"));
  ASSIGN_OR_RETURN(MaterialId parsed, ParseMaterialId(id, "material_id"));
  if (parsed.origin != options_.org_id) {
    return absl::PermissionDeniedError(absl::StrCat("material_id: '", id, "' belongs to '",
                                                    parsed.origin,
                                                    "'; only its origin attaches files"));
  }
  // The upload's bytes reach the disk before the synced write that lists
  // them, so an acknowledged attach survives a power cut. Every chunk the
  // file lists was written before this call (by this upload, or by another
  // writer before it recorded the chunk present), so one sync here covers
  // them all, and other writers need not wait for it under the lock.
  RETURN_IF_ERROR(options_.chunks->Sync());
  absl::MutexLock lock(&w_.mu);
  Pending pending = w_.Begin();
  ASSIGN_OR_RETURN(std::optional<Entry> held, LoadEntry(&pending.txn, id));
  if (!held.has_value() || held->header.deleted() || !held->has_body()) {
    return absl::NotFoundError(absl::StrCat("material_id: no material '", id, "' to attach to"));
  }
  for (const std::string& sha : file.chunk_sha256()) {
    ASSIGN_OR_RETURN(std::optional<std::string> present,
                     pending.txn.Get(Cf::kChunkRefs, PresentKey(sha)));
    if (!present.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("file: chunk ", ShortHex(sha), " is not stored"));
    }
  }
  v1::Material m = *held->material;
  auto same_name = std::find_if(m.mutable_files()->begin(), m.mutable_files()->end(),
                                [&](const v1::FileInfo& f) { return f.name() == file.name(); });
  if (same_name != m.mutable_files()->end()) {
    *same_name = file;
  } else {
    *m.add_files() = file;
  }
  RETURN_IF_ERROR(ValidateMaterial(m, Strictness::kLocal));
  PreparedPut put;
  put.material = std::move(m);
  put.audience = held->header.audience();
  put.audience_given = true;
  put.if_version = held->header.version();
  put.files_from_node = true;
  ASSIGN_OR_RETURN(v1::MaterialView view, PutLocked(&pending, std::move(put), actor));
  RETURN_IF_ERROR(w_.Commit(&pending, /*sync=*/true));
  return view;
}

}  // namespace minga
