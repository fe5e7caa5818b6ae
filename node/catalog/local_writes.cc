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

absl::StatusOr<Catalog::PreparedPut> Catalog::PreparePut(v1::PutRequest request) const {
  PreparedPut put;
  put.material = std::move(*request.mutable_material());
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
      request.has_audience() && request.audience().scope() != v1::Audience::SCOPE_UNSPECIFIED;
  put.audience = request.audience();
  RETURN_IF_ERROR(NormalizeAudience(&put.audience, options_.org_id, [this](absl::string_view org) {
    return options_.keyring->IsMember(org);
  }));
  put.if_version = request.if_version();
  put.create_only = request.create_only();
  return put;
}

absl::StatusOr<std::string> Catalog::AssignId(Pending* pending, const v1::Material& m,
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

absl::StatusOr<Catalog::PlannedPut> Catalog::PlanPutLocked(Pending* pending, PreparedPut put,
                                                           const std::set<std::string>& reserved) {
  PlannedPut plan;
  v1::Material& m = put.material;
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
    if (has_held_files) *m.mutable_files() = held->material->files();
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
  if (held.has_value()) versions_.Observe(held->header.version());
  plan.body = SerializeBody(m);
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
  ASSIGN_OR_RETURN(const uint64_t version, versions_.Next());
  plan.spec = RevisionSpec{id, version, false, put.audience, options_.clock->NowMicros()};
  plan.material = std::move(m);
  return plan;
}

void Catalog::SignPlanned(PlannedPut* plan) const {
  if (plan->unchanged) return;
  plan->revision = SignRevision(*options_.signing_key, plan->spec, std::move(plan->body));
}

absl::Status Catalog::FinishPutLocked(Pending* pending, PlannedPut* plan, absl::string_view actor) {
  if (plan->unchanged) return absl::OkStatus();
  Entry entry;
  *entry.stored.mutable_signed_() = std::move(*plan->revision.mutable_signed_());
  entry.stored.set_signer(options_.signing_key->public_key().Fingerprint());
  entry.stored.set_body(std::move(*plan->revision.mutable_body()));
  entry.stored.mutable_provenance()->set_received_unix_micros(plan->spec.time_unix_micros);
  entry.stored.mutable_provenance()->set_actor(std::string(actor));
  entry.header.ParseFromString(entry.stored.signed_().header());
  entry.material = std::move(plan->material);
  RETURN_IF_ERROR(StoreEntry(pending, plan->id, plan->held, &entry, actor, "put"));
  plan->stored = std::move(entry);
  return absl::OkStatus();
}

absl::StatusOr<v1::MaterialView> Catalog::PutLocked(Pending* pending, PreparedPut put,
                                                    absl::string_view actor) {
  ASSIGN_OR_RETURN(PlannedPut plan, PlanPutLocked(pending, std::move(put), {}));
  if (plan.unchanged) return MakeView(plan.id, *plan.held, *options_.keyring);
  SignPlanned(&plan);
  RETURN_IF_ERROR(FinishPutLocked(pending, &plan, actor));
  return MakeView(plan.id, *plan.stored, *options_.keyring);
}

absl::StatusOr<v1::MaterialView> Catalog::Put(v1::PutRequest request, absl::string_view actor) {
  ASSIGN_OR_RETURN(PreparedPut put, PreparePut(std::move(request)));
  absl::MutexLock lock(&write_mu_);
  Pending pending(kv_, last_lseq_, tally_);
  ASSIGN_OR_RETURN(v1::MaterialView view, PutLocked(&pending, std::move(put), actor));
  RETURN_IF_ERROR(CommitLocked(&pending, /*sync=*/true));
  return view;
}

absl::StatusOr<std::vector<v1::PutResult>> Catalog::PutMany(std::vector<v1::PutRequest> requests,
                                                            absl::string_view actor) {
  if (requests.size() > kMaxPutManyItems) {
    return absl::InvalidArgumentError(
        absl::StrCat("items: ", requests.size(), " items, at most ", kMaxPutManyItems));
  }
  const size_t n = requests.size();
  std::vector<v1::PutResult> results(n);
  std::vector<std::optional<PreparedPut>> prepared(n);
  auto fail = [&](size_t i, const absl::Status& s) {
    results[i].set_code(static_cast<int>(s.code()));
    results[i].set_error(std::string(s.message()));
  };
  // Validation needs no lock, and items are independent: on every core.
  auto prepare = [&](size_t i) {
    results[i].set_index(i);
    absl::StatusOr<PreparedPut> put = PreparePut(std::move(requests[i]));
    if (put.ok()) {
      prepared[i] = std::move(*put);
    } else {
      fail(i, put.status());
    }
  };
  if (options_.executor != nullptr) {
    options_.executor->ParallelFor(n, prepare);
  } else {
    for (size_t i = 0; i < n; ++i) prepare(i);
  }
  absl::MutexLock lock(&write_mu_);
  Pending pending(kv_, last_lseq_, tally_);
  // In runs of items with distinct ids: each run is planned in order
  // (versions, ids, what is held), signed on every core, then stored in
  // order. An id seen again starts a new run, so it is planned against
  // what the earlier item stored.
  size_t start = 0;
  while (start < n) {
    std::vector<std::pair<size_t, PlannedPut>> run;
    std::set<std::string> ids;
    size_t i = start;
    for (; i < n; ++i) {
      if (!prepared[i].has_value()) continue;
      const std::string& given = prepared[i]->material.id();
      if (!given.empty() && ids.count(given)) break;
      absl::StatusOr<PlannedPut> plan = PlanPutLocked(&pending, std::move(*prepared[i]), ids);
      if (!plan.ok()) {
        if (!IsItemError(plan.status())) return plan.status();  // the store failed
        fail(i, plan.status());
        continue;
      }
      ids.insert(plan->id);
      run.emplace_back(i, std::move(*plan));
    }
    auto sign = [&](size_t k) { SignPlanned(&run[k].second); };
    if (options_.executor != nullptr) {
      options_.executor->ParallelFor(run.size(), sign);
    } else {
      for (size_t k = 0; k < run.size(); ++k) sign(k);
    }
    for (auto& [index, plan] : run) {
      RETURN_IF_ERROR(FinishPutLocked(&pending, &plan, actor));
      results[index].set_id(plan.id);
      results[index].set_version(plan.unchanged ? plan.held->header.version() : plan.spec.version);
    }
    start = i;
  }
  RETURN_IF_ERROR(CommitLocked(&pending, /*sync=*/true));
  return results;
}

absl::StatusOr<v1::MaterialView> Catalog::Delete(absl::string_view id, uint64_t if_version,
                                                 absl::string_view actor) {
  ASSIGN_OR_RETURN(MaterialId parsed, ParseMaterialId(id, "id"));
  if (parsed.origin != options_.org_id) {
    return absl::PermissionDeniedError(absl::StrCat("id: '", id, "' belongs to '", parsed.origin,
                                                    "'; only its origin can retract it"));
  }
  absl::MutexLock lock(&write_mu_);
  Pending pending(kv_, last_lseq_, tally_);
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
  versions_.Observe(held->header.version());
  const int64_t now = options_.clock->NowMicros();
  ASSIGN_OR_RETURN(const uint64_t version, versions_.Next());
  RevisionSpec spec{std::string(id), version, true, held->header.audience(), now};
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
