// LocalWrites: changes to this node's own materials (it is their origin):
// put, put many, retract, attach a file. Each is signed with the node's key
// and durable (synced) before returning.
//
// Errors name the field at fault: INVALID_ARGUMENT for a bad material,
// PERMISSION_DENIED for another origin's id, FAILED_PRECONDITION when
// if_version does not match, ALREADY_EXISTS for create_only on a held id,
// NOT_FOUND for an id not held; anything else is the store's.
//
// Thread safety: all methods may be called concurrently. Validation and
// serialisation run outside the catalog's write lock; a change is planned,
// signed (PutMany: on every core) and stored under it, so what it planned
// against cannot change before it is stored.
#ifndef MINGA_NODE_CATALOG_LOCAL_WRITES_H_
#define MINGA_NODE_CATALOG_LOCAL_WRITES_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "minga/v1/catalog.pb.h"
#include "minga/v1/material.pb.h"
#include "minga/v1/revision.pb.h"
#include "node/catalog/writer.h"

namespace minga {

// One material to create or replace.
struct PutItem {
  // `id` may be empty (the node assigns one), a local id, or a full id
  // whose prefix is this node's org id.
  v1::Material material;
  // Who may receive it. Unset (or of unspecified scope): a held material
  // keeps its audience, since bodies that reached a wider audience cannot
  // be called back; a new one is PUBLIC. Only an explicit audience widens.
  std::optional<v1::Audience> audience;
  // Non-zero: applies only if the held version equals it.
  uint64_t if_version = 0;
  // Fails with ALREADY_EXISTS if the id is held (and not retracted).
  bool create_only = false;

  // The audience, set (empty) if it was not.
  v1::Audience* mutable_audience() {
    return audience.has_value() ? &*audience : &audience.emplace();
  }
};

// What PutMany did with one item.
struct PutOutcome {
  absl::Status status;  // of this item alone
  std::string id;       // once stored
  uint64_t version = 0;
};

class LocalWrites {
 public:
  // writer: borrowed, must outlive this.
  explicit LocalWrites(CatalogWriter* writer) : w_(*writer), options_(writer->options()) {}
  LocalWrites(const LocalWrites&) = delete;
  LocalWrites& operator=(const LocalWrites&) = delete;

  // Creates or replaces a material. `actor` is recorded in provenance and
  // audit.
  absl::StatusOr<v1::MaterialView> Put(PutItem item, absl::string_view actor);
  // Validates each item alone and stores the valid ones in one write,
  // signing on every core. One outcome per item, in order. Fails as a
  // whole only when the store cannot be written, or for too many items.
  absl::StatusOr<std::vector<PutOutcome>> PutMany(std::vector<PutItem> items,
                                                  absl::string_view actor);
  // Retracts: stores a signed tombstone and purges the body.
  absl::StatusOr<v1::MaterialView> Delete(absl::string_view id, uint64_t if_version,
                                          absl::string_view actor);
  // Lists `file` in this node's material `id` (held, not retracted) with a
  // new signed revision, replacing a file of the same name.
  // FAILED_PRECONDITION if a chunk of it is not stored.
  absl::StatusOr<v1::MaterialView> AttachFile(absl::string_view id, v1::FileInfo file,
                                              absl::string_view actor);

 private:
  // A validated put, ready to be applied under the write lock.
  struct PreparedPut {
    v1::Material material;  // normalised; id empty when to be assigned
    v1::Audience audience;  // canonical
    // False when the item left the audience unset: a held material then
    // keeps its own, a new one is PUBLIC.
    bool audience_given = false;
    uint64_t if_version = 0;
    bool create_only = false;
    // The node itself set `material.files` (attaching a file): take them as
    // they are instead of requiring a subset of the held ones.
    bool files_from_node = false;
    // The material serialised, when its id was given (empty otherwise).
    std::string body;
  };
  absl::StatusOr<PreparedPut> PreparePut(PutItem item) const;
  // A put in three steps, so a batch signs on every core: planned under
  // the lock (id, what is held, version), signed (no lock needed, no
  // catalog state), then stored under the lock.
  struct PlannedPut {
    std::string id;
    std::optional<Entry> held;
    // The same material and audience are held: nothing to store.
    bool unchanged = false;
    v1::Material material;
    std::string body;
    RevisionSpec spec;
    // Once signed: the entry to store (and stored, once finished).
    std::optional<Entry> stored;
  };
  // `reserved`: ids planned earlier in the same transaction, not yet
  // stored, which an assigned id must not take.
  absl::StatusOr<PlannedPut> PlanPutLocked(Pending* pending, PreparedPut put,
                                           const std::set<std::string>& reserved)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(w_.mu);
  // Signs and builds the entry to store. Reads no catalog state, so it
  // needs no lock (PutMany still calls it under the write lock).
  void SignPlanned(PlannedPut* plan, absl::string_view actor) const;
  absl::Status FinishPutLocked(Pending* pending, PlannedPut* plan, absl::string_view actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(w_.mu);
  // The three steps for one put.
  absl::StatusOr<v1::MaterialView> PutLocked(Pending* pending, PreparedPut put,
                                             absl::string_view actor)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(w_.mu);
  absl::StatusOr<std::string> AssignId(Pending* pending, const v1::Material& m,
                                       const v1::Audience& audience,
                                       const std::set<std::string>& reserved)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(w_.mu);

  CatalogWriter& w_;
  const CatalogOptions& options_;
};

}  // namespace minga

#endif  // MINGA_NODE_CATALOG_LOCAL_WRITES_H_
