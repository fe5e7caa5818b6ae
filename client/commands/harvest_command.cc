// minga harvest: an OAI-PMH repository's records as this node's public
// materials (docs/oai.md, "Harvesting").
#include <httplib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/cli/output.h"
#include "client/commands/session.h"
#include "client/harvest/mapping.h"
#include "client/harvest/oai_page.h"
#include "nlohmann/json.hpp"
#include "node/core/read_file.h"
#include "node/core/status_macros.h"
#include "node/net/grpc_status.h"

namespace minga::cli {
namespace {

using harvest::Mapping;
using harvest::OaiPage;
using harvest::OaiRecord;

constexpr size_t kMaxResponseBytes = size_t{64} << 20;
constexpr int kAttempts = 4;

// "http(s)://host[:port]" and the path of a base URL.
struct BaseUrl {
  std::string origin;
  std::string path;
};

absl::StatusOr<BaseUrl> SplitUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos ||
      (!absl::StartsWith(url, "http://") && !absl::StartsWith(url, "https://"))) {
    return absl::InvalidArgumentError(absl::StrCat("URL: '", url, "' is not an http(s) URL"));
  }
  const size_t slash = url.find('/', scheme + 3);
  BaseUrl b{url.substr(0, slash), slash == std::string::npos ? "/" : url.substr(slash)};
  if (b.origin.size() <= scheme + 3) {
    return absl::InvalidArgumentError(absl::StrCat("URL: '", url, "' names no host"));
  }
  return b;
}

// Where the last complete harvest of a URL and set began, so the next one
// asks only for what changed since (--state FILE).
struct HarvestState {
  std::string url;
  std::string set;
  std::string from;
};

absl::StatusOr<std::optional<HarvestState>> ReadState(const std::string& path) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 1 << 20));
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.value("url", nlohmann::json()).is_string() ||
      !j.value("from", nlohmann::json()).is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--state: '", path, "' is not a harvest state (url, set, from)"));
  }
  return HarvestState{j["url"], j.value("set", ""), j["from"]};
}

absl::Status WriteState(const std::string& path, const HarvestState& state) {
  const nlohmann::json j = {{"url", state.url}, {"set", state.set}, {"from", state.from}};
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out.flush()) return absl::InternalError(absl::StrCat("--state: cannot write '", tmp, "'"));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return absl::InternalError(absl::StrCat("--state: cannot write '", path, "'"));
  return absl::OkStatus();
}

// One OAI-PMH request, tried again on a connection failure or a 503 (the
// protocol's "come back later").
absl::StatusOr<OaiPage> Fetch(httplib::Client& http, const BaseUrl& base,
                              const httplib::Params& params) {
  std::string why;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (attempt > 0) absl::SleepFor(absl::Seconds(1 << attempt));
    // Read through a bound, so a repository cannot make this client hold
    // an endless response (or an endless decompressed one).
    std::string body;
    bool too_large = false;
    httplib::Result r =
        http.Get(base.path, params, httplib::Headers(), [&](const char* data, size_t n) {
          too_large = body.size() + n > kMaxResponseBytes;
          if (!too_large) body.append(data, n);
          return !too_large;
        });
    if (too_large) {
      return absl::InvalidArgumentError(
          absl::StrCat(base.origin, base.path, ": a response over 64 MiB"));
    }
    if (!r) {
      why = absl::StrCat("no answer (", httplib::to_string(r.error()), ")");
      continue;
    }
    if (r->status == 503) {
      why = "HTTP 503";
      continue;
    }
    if (r->status != 200) {
      return absl::UnavailableError(absl::StrCat(base.origin, base.path, ": HTTP ", r->status));
    }
    absl::StatusOr<OaiPage> page = harvest::ParseOaiPage(body);
    if (!page.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(base.origin, base.path, ": ", page.status().message()));
    }
    return page;
  }
  return absl::UnavailableError(
      absl::StrCat(base.origin, base.path, ": ", why, " (after ", kAttempts, " attempts)"));
}

// The repository failed (not the node): no hint about --node.
int RepositoryFailure(const absl::Status& s) {
  std::fprintf(stderr, "minga: %s\n", std::string(s.message()).c_str());
  return kExitError;
}

struct Tally {
  size_t stored = 0;
  size_t retracted = 0;
  size_t skipped = 0;
};

// Stores a page's live records and retracts its deleted ones.
absl::Status ApplyPage(Session& s, const std::string& org, const std::string& url,
                       const OaiPage& page, const Mapping& mapping, bool dry_run, Tally* tally) {
  auto skip = [&](const OaiRecord& r, absl::string_view why) {
    ++tally->skipped;
    std::fprintf(stderr, "skipped %s: %s\n", r.identifier.c_str(), std::string(why).c_str());
  };
  v1::PutManyRequest request;
  std::vector<const OaiRecord*> sent;
  for (const OaiRecord& r : page.records) {
    if (r.deleted) {
      if (dry_run) {
        ++tally->retracted;
        continue;
      }
      v1::DeleteRequest del;
      del.set_id(absl::StrCat(org, "/", harvest::LocalIdFor(r.identifier)));
      v1::DeleteResponse response;
      grpc::Status st = s.Catalog()->Delete(s.Context().get(), del, &response);
      if (st.ok()) {
        ++tally->retracted;
      } else if (st.error_code() != grpc::StatusCode::NOT_FOUND) {
        return FromGrpcStatus(st);
      }
      continue;
    }
    absl::StatusOr<v1::Material> m =
        harvest::MapRecord(r, mapping, absl::StrCat(r.identifier, " from ", url));
    if (!m.ok()) {
      skip(r, m.status().message());
      continue;
    }
    v1::PutRequest* item = request.add_items();
    *item->mutable_material() = *std::move(m);
    item->mutable_audience()->set_scope(v1::Audience::PUBLIC);
    sent.push_back(&r);
  }
  if (dry_run) tally->stored += sent.size();
  if (dry_run || sent.empty()) return absl::OkStatus();
  v1::PutManyResponse response;
  grpc::Status st = s.Catalog()->PutMany(s.Context().get(), request, &response);
  if (!st.ok()) return FromGrpcStatus(st);
  for (const v1::PutResult& r : response.results()) {
    if (r.code() == 0) {
      ++tally->stored;
    } else {
      skip(*sent[r.index()], r.error());
    }
  }
  return absl::OkStatus();
}

// What one `minga harvest` run reads: its flags and, with --state, where
// the last run stopped.
struct HarvestPlan {
  std::string url;
  BaseUrl base;
  Mapping mapping;
  std::string set;
  std::string from;
  std::string state_path;
  bool dry_run = false;
};

absl::StatusOr<HarvestPlan> PlanHarvest(const Args& args) {
  HarvestPlan plan;
  plan.url = args.positional()[0];
  ASSIGN_OR_RETURN(plan.base, SplitUrl(plan.url));
  plan.mapping = harvest::DefaultMapping();
  if (auto file = args.Get("mapping")) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(*file, 1 << 20));
    absl::StatusOr<Mapping> parsed = harvest::ParseMapping(text, plan.mapping);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mapping ", *file, ": ", parsed.status().message()));
    }
    plan.mapping = *std::move(parsed);
  }
  plan.set = args.GetOr("set", "");
  plan.from = args.GetOr("from", "");
  plan.state_path = args.GetOr("state", "");
  plan.dry_run = args.Has("dry-run");
  if (plan.state_path.empty()) return plan;
  ASSIGN_OR_RETURN(std::optional<HarvestState> state, ReadState(plan.state_path));
  if (state.has_value()) {
    if (state->url != plan.url || state->set != plan.set) {
      return absl::InvalidArgumentError(absl::StrCat("--state: '", plan.state_path, "' is for ",
                                                     state->url, " set '", state->set,
                                                     "', not this harvest"));
    }
    if (plan.from.empty()) plan.from = state->from;
  }
  return plan;
}

absl::StatusOr<std::string> NodeOrg(Session& s) {
  v1::StatusResponse status;
  grpc::Status st = s.Admin()->Status(s.Context().get(), v1::StatusRequest(), &status);
  if (!st.ok()) return FromGrpcStatus(st);
  return status.org_id();
}

httplib::Params FirstListRecords(const HarvestPlan& plan, const std::string& until) {
  httplib::Params params = {{"verb", "ListRecords"}, {"metadataPrefix", "oai_dc"}};
  if (!plan.from.empty()) params.emplace("from", plan.from);
  if (!until.empty()) params.emplace("until", until);
  if (!plan.set.empty()) params.emplace("set", plan.set);
  return params;
}

int Harvest(Session& s, const Args& args) {
  if (args.positional().size() != 1) return ReportUsage("harvest takes one URL");
  absl::StatusOr<HarvestPlan> plan = PlanHarvest(args);
  if (!plan.ok()) return Report(plan.status());
  const std::string& url = plan->url;
  // A dry run reads the repository only, so it needs no node.
  std::string org;
  if (!plan->dry_run) {
    absl::StatusOr<std::string> node_org = NodeOrg(s);
    if (!node_org.ok()) return Report(node_org.status());
    org = *std::move(node_org);
  }

  httplib::Client http(plan->base.origin);
  http.set_connection_timeout(10);
  http.set_read_timeout(120);
  http.set_follow_location(true);
  httplib::Params params = FirstListRecords(*plan, args.GetOr("until", ""));
  Tally tally;
  std::string first_response_date;
  size_t pages = 0;
  while (true) {
    absl::StatusOr<OaiPage> page = Fetch(http, plan->base, params);
    if (!page.ok()) return RepositoryFailure(page.status());
    if (first_response_date.empty()) first_response_date = page->response_date;
    if (!page->error_code.empty()) {
      if (page->error_code == "noRecordsMatch") break;
      return RepositoryFailure(absl::InvalidArgumentError(absl::StrCat(
          url, ": the repository answered ", page->error_code, ": ", page->error_message)));
    }
    ++pages;
    if (absl::Status applied = ApplyPage(s, org, url, *page, plan->mapping, plan->dry_run, &tally);
        !applied.ok()) {
      std::fprintf(stderr, "stored %zu and retracted %zu before the node refused the rest\n",
                   tally.stored, tally.retracted);
      return Report(applied);
    }
    if (page->resumption_token.empty()) break;
    params = {{"verb", "ListRecords"}, {"resumptionToken", page->resumption_token}};
  }
  if (!plan->state_path.empty() && !plan->dry_run && !first_response_date.empty()) {
    if (absl::Status w = WriteState(plan->state_path, {url, plan->set, first_response_date});
        !w.ok()) {
      return Report(w);
    }
  }
  std::fprintf(s.json ? stderr : stdout,
               "%s %zu records from %s in %zu responses: %zu stored, %zu retracted, %zu skipped\n",
               plan->dry_run ? "would harvest" : "harvested",
               tally.stored + tally.retracted + tally.skipped, url.c_str(), pages, tally.stored,
               tally.retracted, tally.skipped);
  return tally.skipped > 0 ? kExitInvalid : kExitOk;
}

}  // namespace

std::vector<Command> HarvestCommands() {
  return {
      {"harvest",
       "import an OAI-PMH repository's records as public materials",
       "Usage: minga harvest URL [--set SPEC] [--from DATE] [--until DATE]\n"
       "                     [--mapping FILE] [--state FILE] [--dry-run]\n\n"
       "Harvests the Dublin Core (oai_dc) records of the OAI-PMH repository at\n"
       "URL (its base URL, e.g. https://repositorio.example.org/oai/request) and\n"
       "stores them as this node's public materials, following resumption\n"
       "tokens; a deleted record retracts the material it made. Each record's\n"
       "id comes from its OAI identifier, so harvesting again updates in place.\n"
       "--mapping FILE adds to the built-in mapping from Dublin Core to Minga's\n"
       "kinds, sectors, populations, topics, languages and countries\n"
       "(docs/oai.md). A record that does not map is reported with the reason\n"
       "and skipped (exit 4). --state FILE remembers where this harvest began,\n"
       "so the next run with it asks only for what changed since. --dry-run\n"
       "maps without storing.\n",
       {{"set", "from", "until", "mapping", "state"}, {}, {"dry-run"}},
       Harvest},
  };
}

}  // namespace minga::cli
