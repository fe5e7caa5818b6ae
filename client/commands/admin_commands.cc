// minga status, peers, sync, release.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "client/cli/output.h"
#include "client/commands/session.h"
#include "node/net/grpc_status.h"

namespace minga::cli {
namespace {

std::string StateName(v1::PeerStatus::State s) {
  switch (s) {
    case v1::PeerStatus::CONNECTING:
      return "connecting";
    case v1::PeerStatus::PULLING:
      return "pulling";
    case v1::PeerStatus::FOLLOWING:
      return "following";
    case v1::PeerStatus::BACKOFF:
      return "backoff";
    case v1::PeerStatus::STOPPED:
      return "stopped";
    default:
      return "-";
  }
}

// "eager: 12 chunks (4.0 MiB), 30 queued".
std::string FilesColumn(const v1::PeerStatus& p) {
  std::string out = absl::StrCat(p.file_policy(), ": ", p.chunks_fetched(), " chunks (",
                                 FormatBytes(p.bytes_fetched()), ")");
  if (p.chunks_queued() > 0) absl::StrAppend(&out, ", ", p.chunks_queued(), " queued");
  if (p.chunks_refused() > 0) absl::StrAppend(&out, ", ", p.chunks_refused(), " refused");
  return out;
}

// "11.2 MiB to go, 1.0 MiB/s, about 12s, limit 2.0 MiB/s", or "-".
std::string TransferColumn(const v1::PeerStatus& p) {
  std::vector<std::string> parts;
  if (p.chunks_queued() > 0) {
    parts.push_back(absl::StrCat(FormatBytes(p.bytes_queued()), " to go"));
    if (p.file_bytes_per_second() > 0) {
      parts.push_back(absl::StrCat(FormatBytes(p.file_bytes_per_second()), "/s"));
    }
    if (p.file_seconds_left() > 0) {
      parts.push_back(
          absl::StrCat("about ", absl::FormatDuration(absl::Seconds(p.file_seconds_left()))));
    }
  }
  if (p.file_limit_bytes_per_second() > 0) {
    parts.push_back(absl::StrCat("limit ", FormatBytes(p.file_limit_bytes_per_second()), "/s"));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

void PrintPeers(const google::protobuf::RepeatedPtrField<v1::PeerStatus>& peers) {
  Table table({"PEER", "ADDRESS", "STATE", "CHECKPOINT", "LAG", "LAG(S)", "APPLIED", "FILES",
               "TRANSFER", "LAST ERROR"});
  for (const v1::PeerStatus& p : peers) {
    std::string error =
        p.last_error().empty()
            ? p.last_transfer_error()
            : absl::StrCat(FormatMicros(p.last_error_unix_micros()), " ", p.last_error());
    if (p.interlock_held() > 0) {
      error =
          absl::StrCat("interlock holds ", p.interlock_held(), " retracted bodies (minga release ",
                       p.org_id(), ")", error.empty() ? "" : "; ", error);
    }
    table.Add({p.org_id(), p.address(), StateName(p.state()),
               absl::StrCat(p.checkpoint(), "/", p.peer_head()), absl::StrCat(p.lag_changes()),
               absl::StrFormat("%.1f", p.lag_seconds()), absl::StrCat(p.revisions_applied()),
               FilesColumn(p), TransferColumn(p), error.empty() ? "-" : error});
  }
  if (table.empty()) {
    std::printf("no peers configured\n");
  } else {
    std::fputs(table.Render(60).c_str(), stdout);
  }
}

int Status(Session& s, const Args&) {
  v1::StatusResponse response;
  grpc::Status st = s.Admin()->Status(s.Context().get(), v1::StatusRequest(), &response);
  if (!st.ok()) return Report(FromGrpcStatus(st));
  if (s.json) {
    std::printf("%s\n", ToJson(response).c_str());
    return kExitOk;
  }
  std::printf("node        %s (minga-node %s, up %llus)\n", response.org_id().c_str(),
              response.node_version().c_str(),
              static_cast<unsigned long long>(response.uptime_seconds()));
  std::printf("signing key %s\n", response.signing_public_key().c_str());
  std::printf("feed        %s at sequence %llu\n", response.feed_id().c_str(),
              static_cast<unsigned long long>(response.head_lseq()));
  std::printf("store       %s%s%s\n", FormatBytes(response.store_bytes()).c_str(),
              response.store_error().empty() ? "" : "; DAMAGED: ", response.store_error().c_str());
  std::printf("files       %llu complete, %llu incomplete; chunks: %llu stored (%s), %llu wanted\n",
              static_cast<unsigned long long>(response.files_complete()),
              static_cast<unsigned long long>(response.files_missing()),
              static_cast<unsigned long long>(response.chunks_stored()),
              FormatBytes(response.chunk_bytes()).c_str(),
              static_cast<unsigned long long>(response.chunks_missing()));
  std::printf(
      "search      %llu documents, at sequence %llu (%s)%s%s\n",
      static_cast<unsigned long long>(response.index_documents()),
      static_cast<unsigned long long>(response.index_position()),
      response.index_lag() == 0 ? "up to date"
                                : absl::StrCat(response.index_lag(), " changes behind").c_str(),
      response.index_error().empty() ? "" : "; last error: ", response.index_error().c_str());
  std::printf("digest      %s\n\n", response.digest().c_str());
  Table table({"ORIGIN", "MATERIALS", "HEADERS ONLY", "RETRACTED"});
  uint64_t total = 0;
  for (const v1::OriginCount& o : response.origins()) {
    table.Add({o.origin(), absl::StrCat(o.materials()), absl::StrCat(o.headers_only()),
               absl::StrCat(o.retracted())});
    total += o.materials();
  }
  std::fputs(table.Render().c_str(), stdout);
  std::printf("%llu materials held\n", static_cast<unsigned long long>(total));
  for (const v1::InterlockHold& h : response.interlock()) {
    std::printf(
        "\nINTERLOCK   origin %s retracted or narrowed %llu of its %llu materials here within the "
        "window\n            (%s): %llu bodies and their files are held, not served or searched;\n"
        "            minga release %s purges them now, or they are purged at %s\n",
        h.origin().c_str(), static_cast<unsigned long long>(h.tripped_losses()),
        static_cast<unsigned long long>(h.tripped_of()),
        FormatMicros(h.tripped_unix_micros()).c_str(), static_cast<unsigned long long>(h.held()),
        h.origin().c_str(), FormatMicros(h.expires_unix_micros()).c_str());
  }
  return kExitOk;
}

int Peers(Session& s, const Args&) {
  v1::PeersResponse response;
  grpc::Status st = s.Admin()->Peers(s.Context().get(), v1::PeersRequest(), &response);
  if (!st.ok()) return Report(FromGrpcStatus(st));
  if (s.json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    PrintPeers(response.peers());
  }
  return kExitOk;
}

int Sync(Session& s, const Args& args) {
  absl::StatusOr<int64_t> wait_seconds = args.GetInt("wait-timeout", 30, 1, 3600);
  if (!wait_seconds.ok()) return Report(wait_seconds.status());
  v1::SyncRequest request;
  request.set_peer(args.GetOr("peer", ""));
  request.set_wait(args.Has("wait"));
  request.set_timeout_seconds(*wait_seconds);
  v1::SyncResponse response;
  grpc::Status st = s.Admin()->Sync(s.Context(absl::Seconds(*wait_seconds) + s.timeout).get(),
                                    request, &response);
  if (!st.ok()) return Report(FromGrpcStatus(st));
  if (s.json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    PrintPeers(response.peers());
    if (request.wait()) {
      std::printf(response.caught_up() ? "caught up\n" : "not caught up within %llds\n",
                  static_cast<long long>(*wait_seconds));
    }
  }
  return request.wait() && !response.caught_up() ? kExitUnavailable : kExitOk;
}

int Release(Session& s, const Args& args) {
  if (args.positional().size() != 1) return ReportUsage("release takes one ORIGIN");
  v1::ReleaseRequest request;
  request.set_origin(args.positional()[0]);
  v1::ReleaseResponse response;
  grpc::Status st = s.Admin()->Release(s.Context(absl::Minutes(30)).get(), request, &response);
  if (!st.ok()) return Report(FromGrpcStatus(st));
  if (s.json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    std::printf("released %s: %llu held bodies purged\n", request.origin().c_str(),
                static_cast<unsigned long long>(response.released()));
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> AdminCommands() {
  return {
      {"status",
       "counts by origin, feed position, store size, digest",
       "Usage: minga status\n",
       {},
       Status},
      {"peers",
       "each peer: address, state, checkpoint, lag, last error",
       "Usage: minga peers\n\nLAG is changes not yet applied; LAG(S) seconds since this node\n"
       "was last caught up with the peer. FILES is the peer's file policy and the\n"
       "chunks fetched from it since the node started, still queued, and refused\n"
       "(wrong hash).\n",
       {},
       Peers},
      {"sync",
       "pull from peers now; --wait until caught up",
       "Usage: minga sync [--peer ORG] [--wait] [--wait-timeout SECONDS]\n\n"
       "Skips any back-off and pulls from the peers (or one) now. With --wait,\n"
       "returns when they are caught up (exit 5 if not within the timeout).\n",
       {{"peer", "wait-timeout"}, {}, {"wait"}},
       Sync},
      {"release",
       "end the mass-delete interlock's hold on an origin",
       "Usage: minga release ORIGIN\n\n"
       "When ORIGIN's revisions retracted or narrowed many of its materials here\n"
       "at once, the node applied them but held the purge of their bodies and\n"
       "files (see minga status). This purges them now. Without it they are\n"
       "purged when the hold's grace period ends.\n",
       {},
       Release},
  };
}

}  // namespace minga::cli
