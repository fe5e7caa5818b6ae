// minga put, edit, get, rm, ls.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/output.h"
#include "client/commands/material_flags.h"
#include "client/commands/session.h"
#include "client/formats/material_fields.h"
#include "client/formats/records.h"
#include "node/core/limits.h"
#include "node/core/read_file.h"
#include "node/net/grpc_status.h"

namespace minga::cli {
namespace {

absl::StatusOr<std::string> ReadInput(const std::string& path) {
  if (path != "-") return ReadFileToString(path, kMaxMessageBytes);
  std::stringstream ss;
  ss << std::cin.rdbuf();
  return ss.str();
}

std::string StateOf(const v1::MaterialView& v) {
  if (v.header().deleted()) return "retracted (signed tombstone)";
  if (v.has_body()) return "held";
  return "header only (outside this node's audience or subscription)";
}

using Rows = std::vector<std::pair<std::string, std::string>>;

// Every field of the table but the id (shown in full before) and the
// audience (shown after, from the signed header); the summary last, as it
// is long; then the files.
void AddBodyRows(const v1::Material& m, Rows* rows) {
  for (const MaterialField& f : MaterialFields()) {
    const absl::string_view name = f.name;
    if (name == "id" || name == "summary" || f.kind == FieldKind::kAudience) continue;
    if (f.kind == FieldKind::kTitles) {
      const std::map<std::string, std::string> titles(m.other_language_titles().begin(),
                                                      m.other_language_titles().end());
      for (const auto& [lang, t] : titles) rows->push_back({"title." + lang, t});
      continue;
    }
    const std::string text = FieldText(f, m, name == "publisher" ? "; " : ", ");
    rows->push_back({f.name, text.empty() ? "-" : text});
  }
  if (!m.summary().empty()) rows->push_back({"summary", m.summary()});
  for (const v1::FileInfo& f : m.files()) {
    rows->push_back(
        {"file", absl::StrCat(f.name(), " (", FormatBytes(f.size()), ", ", f.media_type(), ")")});
  }
}

void PrintView(const Session& s, const v1::MaterialView& v) {
  if (s.json) {
    std::printf("%s\n", ToJson(v).c_str());
    return;
  }
  const v1::RevisionHeader& h = v.header();
  Rows rows;
  rows.push_back({"id", v.id()});
  if (v.has_body()) AddBodyRows(v.material(), &rows);
  rows.push_back({"state", StateOf(v)});
  rows.push_back({"audience", AudienceToString(h.audience())});
  rows.push_back({"origin", h.origin()});
  rows.push_back({"version", absl::StrCat(h.version(), " (", FormatMicros(h.time_unix_micros()),
                                          " UTC at the origin)")});
  rows.push_back({"signer", v.signer().empty()
                                ? "unknown key"
                                : absl::StrCat(v.signer(), " (", h.origin(), "'s key, verified)")});
  const v1::Provenance& p = v.provenance();
  rows.push_back(
      {"path", p.from_peer().empty()
                   ? absl::StrCat("written here by ", p.actor().empty() ? "?" : p.actor(), " at ",
                                  FormatMicros(p.received_unix_micros()))
                   : absl::StrCat("pulled from ", p.from_peer(), " at ",
                                  FormatMicros(p.received_unix_micros()))});
  rows.push_back({"sequence", absl::StrCat(v.lseq())});
  size_t width = 0;
  for (const auto& [k, unused] : rows) width = std::max(width, k.size());
  for (const auto& [k, val] : rows) {
    std::printf("%-*s  %s\n", static_cast<int>(width), k.c_str(), val.c_str());
  }
}

// Sends a put and prints what the node stored.
int SendPut(Session& s, const v1::PutRequest& request) {
  v1::PutResponse response;
  grpc::Status st = s.Catalog()->Put(s.Context().get(), request, &response);
  if (!st.ok()) return Report(FromGrpcStatus(st));
  if (s.json) {
    std::printf("%s\n", ToJson(response.material()).c_str());
  } else {
    std::printf("stored %s version %llu\n", response.material().id().c_str(),
                static_cast<unsigned long long>(response.material().header().version()));
  }
  return kExitOk;
}

int Put(Session& s, const Args& args) {
  v1::PutRequest request;
  if (!args.positional().empty()) {
    if (args.positional().size() > 1) return ReportUsage("put takes one FILE");
    absl::StatusOr<std::string> text = ReadInput(args.positional()[0]);
    if (!text.ok()) return Report(text.status());
    absl::StatusOr<ImportRecord> record = ParseMaterialJson(*text);
    if (!record.ok()) {
      return Report(absl::InvalidArgumentError(
          absl::StrCat(args.positional()[0], ": ", record.status().message())));
    }
    *request.mutable_material() = record->material;
    if (record->has_audience) *request.mutable_audience() = record->audience;
  }
  absl::Status flags = ApplyMaterialFlags(args, &request);
  if (!flags.ok()) return Report(flags);
  if (args.Has("create")) request.set_create_only(true);
  return SendPut(s, request);
}

absl::StatusOr<v1::MaterialView> GetView(Session& s, const std::string& id) {
  v1::GetRequest request;
  request.set_id(id);
  v1::GetResponse response;
  grpc::Status st = s.Catalog()->Get(s.Context().get(), request, &response);
  if (!st.ok()) return FromGrpcStatus(st);
  return response.material();
}

int Edit(Session& s, const Args& args) {
  if (args.positional().size() != 1) return ReportUsage("edit takes one ID");
  absl::StatusOr<v1::MaterialView> current = GetView(s, args.positional()[0]);
  if (!current.ok()) return Report(current.status());
  if (!current->has_body()) {
    return Report(absl::FailedPreconditionError(
        absl::StrCat(current->id(), " is ", StateOf(*current), "; nothing to edit")));
  }
  v1::PutRequest request;
  *request.mutable_material() = current->material();
  *request.mutable_audience() = current->header().audience();
  request.set_if_version(current->header().version());
  absl::Status flags = ApplyMaterialFlags(args, &request);
  if (!flags.ok()) return Report(flags);
  request.mutable_material()->set_id(current->id());
  return SendPut(s, request);
}

int Get(Session& s, const Args& args) {
  if (args.positional().size() != 1) return ReportUsage("get takes one ID");
  absl::StatusOr<v1::MaterialView> view = GetView(s, args.positional()[0]);
  if (!view.ok()) return Report(view.status());
  PrintView(s, *view);
  return kExitOk;
}

int Rm(Session& s, const Args& args) {
  if (args.positional().empty()) return ReportUsage("rm takes an ID");
  absl::StatusOr<int64_t> if_version = args.GetInt("if-version", 0, 0, INT64_MAX);
  if (!if_version.ok()) return Report(if_version.status());
  int code = kExitOk;
  for (const std::string& id : args.positional()) {
    v1::DeleteRequest request;
    request.set_id(id);
    request.set_if_version(*if_version);
    v1::DeleteResponse response;
    grpc::Status st = s.Catalog()->Delete(s.Context().get(), request, &response);
    if (!st.ok()) {
      code = Report(FromGrpcStatus(st));
      continue;
    }
    if (s.json) {
      std::printf("%s\n", ToJson(response.material()).c_str());
    } else {
      std::printf("retracted %s (version %llu)\n", id.c_str(),
                  static_cast<unsigned long long>(response.material().header().version()));
    }
  }
  return code;
}

int Ls(Session& s, const Args& args) {
  absl::StatusOr<int64_t> page_size = args.GetInt("page-size", 0, 1, 1000);
  absl::StatusOr<int64_t> limit = args.GetInt("limit", INT64_MAX, 1, INT64_MAX);
  if (!page_size.ok()) return Report(page_size.status());
  if (!limit.ok()) return Report(limit.status());
  v1::ListRequest request;
  request.set_origin(args.GetOr("origin", ""));
  request.set_include_headers_only(args.Has("all"));
  if (args.Has("by-sequence")) request.set_order(v1::ListRequest::BY_SEQUENCE);
  request.set_page_size(*page_size > 0 ? *page_size : 500);
  request.set_page_token(args.GetOr("page-token", ""));
  // With an explicit page size or token, show one page and its next token.
  const bool one_page = args.Has("page-size") || args.Has("page-token");
  Table table({"ID", "KIND", "YEAR", "LANG", "TITLE"});
  int64_t shown = 0;
  std::string next;
  do {
    v1::ListResponse response;
    grpc::Status st = s.Catalog()->List(s.Context().get(), request, &response);
    if (!st.ok()) return Report(FromGrpcStatus(st));
    for (const v1::MaterialView& v : response.materials()) {
      if (shown++ >= *limit) break;
      if (s.json) {
        std::printf("%s\n", ToJson(v).c_str());
        continue;
      }
      const v1::Material& m = v.material();
      table.Add({v.id(), v.has_body() ? m.kind() : "-", m.year() ? absl::StrCat(m.year()) : "-",
                 v.has_body() ? absl::StrJoin(m.languages(), ",") : "-",
                 v.has_body() ? m.title() : StateOf(v)});
    }
    next = response.next_page_token();
    request.set_page_token(next);
  } while (!one_page && !next.empty() && shown < *limit);
  if (s.json) {
    // One line more, after the materials' lines, for scripts that page.
    if (one_page && !next.empty()) std::printf("{\"next_page_token\":\"%s\"}\n", next.c_str());
  } else {
    std::fputs(table.Render(70).c_str(), stdout);
    if (one_page && !next.empty()) std::printf("next page: --page-token %s\n", next.c_str());
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> CatalogCommands() {
  std::vector<Command> commands;
  {
    Command c{"put", "create or replace one of this node's materials", nullptr, {}, Put};
    static const std::string usage = absl::StrCat(
        "Usage: minga put [FILE|-] [field flags] [--create]\n\n"
        "Creates or replaces a material from a JSON object (FILE, or - for\n"
        "stdin) and/or flags; flags override the file. --create fails if the\n"
        "id exists. The node validates, signs and stores it durably.\n\n",
        MaterialFlagsHelp());
    c.usage = usage.c_str();
    AddMaterialFlags(&c.flags);
    c.flags.bools.insert("create");
    commands.push_back(c);
  }
  {
    Command c{"edit", "change fields of one of this node's materials", nullptr, {}, Edit};
    static const std::string usage = absl::StrCat(
        "Usage: minga edit ID [field flags]\n\n"
        "Reads the material, sets the fields given, and stores it only if nobody\n"
        "changed it in between (else exit 6). A list flag replaces the list.\n\n",
        MaterialFlagsHelp());
    c.usage = usage.c_str();
    AddMaterialFlags(&c.flags);
    commands.push_back(c);
  }
  commands.push_back({"get",
                      "show a material: fields, audience, version, signer, path",
                      "Usage: minga get ID\n",
                      {},
                      Get});
  commands.push_back({"rm",
                      "retract materials (a signed tombstone travels to every node)",
                      "Usage: minga rm ID... [--if-version V]\n",
                      {{"if-version"}, {}, {}},
                      Rm});
  commands.push_back({"ls",
                      "list held materials",
                      "Usage: minga ls [--origin ORG] [--all] [--by-sequence] [--limit N]\n"
                      "                [--page-size N] [--page-token T]\n\n"
                      "Lists materials held with their content; --all adds retractions and\n"
                      "materials held as header only. --by-sequence lists in feed order.\n"
                      "With --page-size or --page-token one page is shown with the next token\n"
                      "(with --json, as a last line {\"next_page_token\":\"...\"}).\n",
                      {{"origin", "limit", "page-size", "page-token"}, {}, {"all", "by-sequence"}},
                      Ls});
  return commands;
}

}  // namespace minga::cli
