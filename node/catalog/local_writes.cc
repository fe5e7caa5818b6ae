// Catalog: writes of this node's own materials (it is their origin).
#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "node/catalog/catalog.h"
#include "node/core/audience.h"
#include "node/core/ids.h"
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

absl::StatusOr<Catalog::PreparedPut> Catalog::PreparePut(
    v1::PutRequest request) const {
  PreparedPut put;
  put.material = std::move(*request.mutable_material());
  NormalizeMaterial(&put.material);
  RETURN_IF_ERROR(ValidateMaterial(put.material, Strictness::kLocal));
  std::string& id = *put.material.mutable_id();
  if (id.find('/') != std::string::npos) {
    ASSIGN_OR_RETURN(MaterialId parsed, ParseMaterialId(id, "id"));
    if (parsed.origin != options_.org_id) {
      return absl::PermissionDeniedError(absl::StrCat(
          "id: '", id, "' belongs to '", parsed.origin, "'; this node is '",
          options_.org_id, "' and writes only its own materials"));
    }
  } else if (!id.empty()) {
    if (!IsValidLocalId(id)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "id: '", id, "' must be 1 to 96 characters of a-z, 0-9, '.', '_' "
          "and '-', starting with a letter or digit"));
    }
    id = absl::StrCat(options_.org_id, "/", id);
  }
  put.audience_given = request.has_audience() &&
                       request.audience().scope() != v1::Audience::SCOPE_UNSPECIFIED;
  put.audience = request.audience();
  RETURN_IF_ERROR(NormalizeAudience(
      &put.audience, options_.org_id,
      [this](absl::string_view org) { return options_.keyring->IsMember(org); }));
  put.if_version = request.if_version();
  put.create_only = request.create_only();
  return put;
}

absl::StatusOr<std::string> Catalog::AssignId(Pending* pending, const v1::Material& m,
                                              const v1::Audience& audience) {
  // Ids travel in signed headers to every member, so only a public
  // material's id may be made from its title.
  std::string slug = audience.scope() == v1::Audience::PUBLIC
                         ? SlugFromText(m.title())
                         : absl::StrCat("m-", absl::BytesToHexString(RandomBytes(6)));
  if (slug.empty()) slug = "material";
  for (int n = 1; n < 10000; ++n) {
    const std::string id = n == 1 ? absl::StrCat(options_.org_id, "/", slug)
                                  : absl::StrCat(options_.org_id, "/", slug, "-", n);
    ASSIGN_OR_RETURN(std::optional<std::string> held,
                     pending->txn.Get(Cf::kMaterials, id));
    if (!held.has_value()) return id;
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("id: too many materials titled like '", slug, "'; give an id"));
}

absl::StatusOr<v1::MaterialView> Catalog::PutLocked(Pending* pending,
                                                    PreparedPut put,
                                                    absl::string_view actor) {
  v1::Material& m = put.material;
  if (m.id().empty()) {
    ASSIGN_OR_RETURN(*m.mutable_id(), AssignId(pending, m, put.audience));
  }
  const std::string id = m.id();
  ASSIGN_OR_RETURN(std::optional<Entry> held, LoadEntry(&pending->txn, id));
  const bool live = held.has_value() && !held->header.deleted();
  // Bodies that reached a wider audience cannot be called back, so only an
  // explicit audience widens; re-importing a file without an audience
  // column keeps what `minga edit --audience` narrowed.
  if (!put.audience_given && held.has_value()) put.audience = held->header.audience();
  if (put.if_version != 0 &&
      (!held.has_value() || held->header.version() != put.if_version)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "if_version: the held version of '", id, "' is ",
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
    if (has_held_files) *m.mutable_files() = held->material->files();
  } else {
    for (int i = 0; i < m.files_size(); ++i) {
      const v1::FileInfo& f = m.files(i);
      const bool attached =
          has_held_files &&
          std::any_of(held->material->files().begin(), held->material->files().end(),
                      [&](const v1::FileInfo& h) {
                        return h.name() == f.name() && h.sha256() == f.sha256();
                      });
      if (!attached) {
        return absl::InvalidArgumentError(absl::StrCat(
            "files[", i, "]: '", f.name(),
            "' is not attached to this material; attach files with `minga attach`"));
      }
    }
  }
  if (held.has_value()) versions_.Observe(held->header.version());
  std::string body = SerializeBody(m);
  if (body.size() > kMaxBodyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "material: ", body.size(), " bytes serialized, at most ", kMaxBodyBytes));
  }
  // Putting what is already held changes nothing: re-importing a file does
  // not mint new versions for every partner to pull.
  if (live && held->has_body()) {
    if (held->stored.body() == body &&
        held->header.audience().SerializeAsString() == put.audience.SerializeAsString()) {
      return MakeView(id, *held, *options_.keyring);
    }
  }
  const int64_t now = options_.clock->NowMicros();
  ASSIGN_OR_RETURN(const uint64_t version, versions_.Next());
  RevisionSpec spec{id, version, false, put.audience, now};
  v1::Revision revision = SignRevision(*options_.signing_key, spec, std::move(body));

  Entry entry;
  *entry.stored.mutable_signed_() = revision.signed_();
  entry.stored.set_signer(options_.signing_key->public_key().Fingerprint());
  entry.stored.set_body(revision.body());
  entry.stored.mutable_provenance()->set_received_unix_micros(now);
  entry.stored.mutable_provenance()->set_actor(std::string(actor));
  entry.header.ParseFromString(revision.signed_().header());
  entry.material = std::move(m);
  RETURN_IF_ERROR(StoreEntry(pending, id, held, &entry, actor, "put"));
  return MakeView(id, entry, *options_.keyring);
}

absl::StatusOr<v1::MaterialView> Catalog::Put(v1::PutRequest request,
                                              absl::string_view actor) {
  ASSIGN_OR_RETURN(PreparedPut put, PreparePut(std::move(request)));
  absl::MutexLock lock(&write_mu_);
  Pending pending(kv_, last_lseq_, tally_);
  ASSIGN_OR_RETURN(v1::MaterialView view, PutLocked(&pending, std::move(put), actor));
  RETURN_IF_ERROR(CommitLocked(&pending, /*sync=*/true));
  return view;
}

absl::StatusOr<std::vector<v1::PutResult>> Catalog::PutMany(
    std::vector<v1::PutRequest> requests, absl::string_view actor) {
  if (requests.size() > kMaxPutManyItems) {
    return absl::InvalidArgumentError(absl::StrCat(
        "items: ", requests.size(), " items, at most ", kMaxPutManyItems));
  }
  std::vector<v1::PutResult> results(requests.size());
  std::vector<std::optional<PreparedPut>> prepared(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    results[i].set_index(i);
    absl::StatusOr<PreparedPut> put = PreparePut(std::move(requests[i]));
    if (put.ok()) {
      prepared[i] = std::move(*put);
    } else {
      results[i].set_code(static_cast<int>(put.status().code()));
      results[i].set_error(std::string(put.status().message()));
    }
  }
  absl::MutexLock lock(&write_mu_);
  Pending pending(kv_, last_lseq_, tally_);
  for (size_t i = 0; i < requests.size(); ++i) {
    if (!prepared[i].has_value()) continue;
    absl::StatusOr<v1::MaterialView> view =
        PutLocked(&pending, std::move(*prepared[i]), actor);
    if (view.ok()) {
      results[i].set_id(view->id());
      results[i].set_version(view->header().version());
    } else if (IsItemError(view.status())) {
      results[i].set_code(static_cast<int>(view.status().code()));
      results[i].set_error(std::string(view.status().message()));
    } else {
      return view.status();  // the store failed: nothing is written
    }
  }
  RETURN_IF_ERROR(CommitLocked(&pending, /*sync=*/true));
  return results;
}

absl::StatusOr<v1::MaterialView> Catalog::Delete(absl::string_view id,
                                                 uint64_t if_version,
                                                 absl::string_view actor) {
  ASSIGN_OR_RETURN(MaterialId parsed, ParseMaterialId(id, "id"));
  if (parsed.origin != options_.org_id) {
    return absl::PermissionDeniedError(absl::StrCat(
        "id: '", id, "' belongs to '", parsed.origin,
        "'; only its origin can retract it"));
  }
  absl::MutexLock lock(&write_mu_);
  Pending pending(kv_, last_lseq_, tally_);
  ASSIGN_OR_RETURN(std::optional<Entry> held, LoadEntry(&pending.txn, id));
  if (!held.has_value()) {
    return absl::NotFoundError(absl::StrCat("id: no material '", id, "' is held here"));
  }
  if (if_version != 0 && held->header.version() != if_version) {
    return absl::FailedPreconditionError(absl::StrCat(
        "if_version: the held version of '", id, "' is ",
        held->header.version(), ", not ", if_version));
  }
  if (held->header.deleted()) return MakeView(id, *held, *options_.keyring);
  versions_.Observe(held->header.version());
  const int64_t now = options_.clock->NowMicros();
  ASSIGN_OR_RETURN(const uint64_t version, versions_.Next());
  RevisionSpec spec{std::string(id), version, true,
                    held->header.audience(), now};
  v1::Revision revision = SignRevision(*options_.signing_key, spec, "");
  Entry entry;
  *entry.stored.mutable_signed_() = revision.signed_();
  entry.stored.set_signer(options_.signing_key->public_key().Fingerprint());
  entry.stored.mutable_provenance()->set_received_unix_micros(now);
  entry.stored.mutable_provenance()->set_actor(std::string(actor));
  entry.header.ParseFromString(revision.signed_().header());
  RETURN_IF_ERROR(StoreEntry(&pending, std::string(id), held, &entry, actor, "delete"));
  RETURN_IF_ERROR(CommitLocked(&pending, /*sync=*/true));
  return MakeView(id, entry, *options_.keyring);
}

}  // namespace minga
