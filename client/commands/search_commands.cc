// minga search, reindex.
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/output.h"
#include "client/commands/session.h"
#include "node/core/text.h"
#include "node/net/grpc_status.h"

namespace minga::cli {
namespace {

absl::StatusOr<v1::SearchRequest> SearchRequestOf(const Args& args) {
  v1::SearchRequest request;
  request.set_query(absl::StrJoin(args.positional(), " "));
  if (!IsValidUtf8(request.query())) return absl::InvalidArgumentError("query: not valid UTF-8");
  auto list = [&](const char* flag, google::protobuf::RepeatedPtrField<std::string>* field) {
    for (const std::string& v : args.GetAll(flag)) *field->Add() = v;
  };
  list("sector", request.mutable_sectors());
  list("kind", request.mutable_kinds());
  list("population", request.mutable_populations());
  list("lang", request.mutable_languages());
  list("country", request.mutable_countries());
  list("origin", request.mutable_origins());
  absl::StatusOr<int64_t> year_from = args.GetInt("year-from", 0, 0, 9999);
  absl::StatusOr<int64_t> year_to = args.GetInt("year-to", 0, 0, 9999);
  absl::StatusOr<int64_t> page_size = args.GetInt("page-size", 20, 1, 100);
  for (const auto* v : {&year_from, &year_to, &page_size}) {
    if (!v->ok()) return v->status();
  }
  request.set_year_min(*year_from);
  request.set_year_max(*year_to);
  request.set_page_size(*page_size);
  request.set_cursor(args.GetOr("cursor", ""));
  const std::string sort = args.GetOr("sort", "");
  if (sort == "relevance") {
    request.set_sort(v1::SearchRequest::RELEVANCE);
  } else if (sort == "date") {
    request.set_sort(v1::SearchRequest::DATE);
  } else if (!sort.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--sort: '", sort, "' is not relevance or date"));
  }
  return request;
}

// A hit's snippet with the matched words in bold on a terminal (between
// *stars* otherwise).
std::string MarkedSnippet(const v1::SearchHit& hit, bool tty) {
  std::string marked;
  size_t at = 0;
  for (const v1::Highlight& h : hit.highlights()) {
    if (h.begin() < at || h.end() > hit.snippet().size()) continue;
    absl::StrAppend(&marked, hit.snippet().substr(at, h.begin() - at), tty ? "\033[1m" : "*",
                    hit.snippet().substr(h.begin(), h.end() - h.begin()), tty ? "\033[0m" : "*");
    at = h.end();
  }
  marked += hit.snippet().substr(at);
  return marked;
}

void PrintSearchResponse(const v1::SearchResponse& response) {
  if (!response.note().empty()) std::printf("%s\n", response.note().c_str());
  if (!response.suggestion().empty()) {
    std::printf("did you mean: %s\n", response.suggestion().c_str());
  }
  // Each hit: id, year and title, then its marked snippet.
  const bool tty = isatty(STDOUT_FILENO);
  for (const v1::SearchHit& hit : response.hits()) {
    const v1::MaterialView& v = hit.material();
    std::printf("%s  %s  %s\n", v.id().c_str(),
                v.material().year() ? absl::StrCat(v.material().year()).c_str() : "-",
                v.material().title().c_str());
    if (!hit.snippet().empty()) std::printf("    %s\n", MarkedSnippet(hit, tty).c_str());
  }
  std::printf("%llu matching material%s\n", static_cast<unsigned long long>(response.total()),
              response.total() == 1 ? "" : "s");
  for (const v1::Facet& f : response.facets()) {
    std::vector<std::string> parts;
    for (const v1::FacetCount& c : f.counts())
      parts.push_back(absl::StrCat(c.value(), " ", c.count()));
    std::printf("  %-11s %s\n", f.name().c_str(), absl::StrJoin(parts, " · ").c_str());
  }
  if (!response.next_cursor().empty()) {
    std::printf("next page: --cursor %s\n", response.next_cursor().c_str());
  }
  if (response.index_lag() > 0) {
    std::printf("(the search index is %llu changes behind the store; they show shortly)\n",
                static_cast<unsigned long long>(response.index_lag()));
  }
}

int Search(Session& s, const Args& args) {
  absl::StatusOr<v1::SearchRequest> request = SearchRequestOf(args);
  if (!request.ok()) return Report(request.status());
  v1::SearchResponse response;
  grpc::Status st = s.Catalog()->Search(s.Context().get(), *request, &response);
  if (!st.ok()) return Report(FromGrpcStatus(st));
  if (s.json) {
    std::printf("%s\n", ToJson(response).c_str());
  } else {
    PrintSearchResponse(response);
  }
  return kExitOk;
}

int Reindex(Session& s, const Args&) {
  auto context = s.Context(absl::Hours(1));
  std::unique_ptr<grpc::ClientReader<v1::ReindexProgress>> reader =
      s.Admin()->Reindex(context.get(), v1::ReindexRequest());
  v1::ReindexProgress p;
  std::unique_ptr<Progress> bar;
  while (reader->Read(&p)) {
    if (!bar) bar = std::make_unique<Progress>("reindexing", p.total(), false);
    bar->Update(p.done());
  }
  if (bar) bar->Finish();
  grpc::Status st = reader->Finish();
  if (!st.ok()) return Report(FromGrpcStatus(st));
  if (s.json) {
    std::printf("%s\n", ToJson(p).c_str());
  } else {
    std::printf("reindexed %llu materials\n", static_cast<unsigned long long>(p.done()));
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> SearchCommands() {
  return {
      {"search",
       "full-text search with filters and facet counts",
       "Usage: minga search [WORDS...] [--sector S] [--kind K] [--population P]\n"
       "                    [--lang L] [--country C] [--origin ORG]\n"
       "                    [--year-from Y] [--year-to Y] [--sort relevance|date]\n"
       "                    [--page-size N] [--cursor C]\n\n"
       "Finds materials whose title, summary, topics or publisher hold every\n"
       "word, ignoring case and accents (práctica = PRACTICA) and meeting the\n"
       "word's other forms through the stemmers of es, pt and en (violências\n"
       "finds violência, mujeres finds mujer). \"Quote words\" for a phrase;\n"
       "end a word with * to match the words it begins (femin*). Filter flags\n"
       "repeat: values of one flag are alternatives, different flags all apply;\n"
       "--lang is case-insensitive (pt-br = pt-BR). Prints each hit with a\n"
       "passage around the words that matched, the number of matches, facet\n"
       "counts, \"did you mean\" when a word matched nothing, and a cursor for\n"
       "the next page.\n",
       {{"year-from", "year-to", "sort", "page-size", "cursor"},
        {"sector", "kind", "population", "lang", "country", "origin"},
        {}},
       Search},
      {"reindex",
       "rebuild the search index from the stored materials",
       "Usage: minga reindex\n\nBuilds a new search index from the stored materials, aside: the\n"
       "current one keeps serving searches and following changes until the new\n"
       "one has caught up and replaces it. Nothing else waits.\n",
       {},
       Reindex},
  };
}

}  // namespace minga::cli
