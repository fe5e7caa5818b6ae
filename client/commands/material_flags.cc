#include "client/commands/material_flags.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/formats/records.h"
#include "node/core/text.h"

namespace minga::cli {

const char kMaterialFlagsHelp[] = R"(Material fields:
  --id ID                 local id (or <org>/<local id>); assigned when absent
  --title TEXT            required for a new material
  --title-language LANG   BCP-47, e.g. es, pt-BR, qu
  --title-in LANG=TITLE   a title in another language (repeatable)
  --summary TEXT
  --kind KIND             guide, protocol, toolkit, training, report, policy,
                          model, practice, dataset, video
  --sector S              health, social_services, police, justice,
                          coordination (repeatable)
  --population P          indigenous, afrodescendant, disability, lgbtiq,
                          migrant, rural, adolescent, older, general (repeatable)
  --country C             ISO code, LAC or global (repeatable)
  --language LANG         languages it is available in (repeatable)
  --topic TAG             kebab-case tag (repeatable)
  --publisher NAME        (repeatable)
  --year YEAR  --license TEXT  --url URL  --source TEXT
  --audience A            public (default), private, or members:org-a,org-b
)";

void AddMaterialFlags(FlagSpec* spec) {
  for (const char* f : {"id", "title", "title-language", "summary", "kind", "year", "license",
                        "url", "source", "audience"}) {
    spec->values.insert(f);
  }
  for (const char* f : {"title-in", "sector", "population", "country", "language", "topic",
                        "publisher"}) {
    spec->repeated.insert(f);
  }
}

absl::Status ApplyMaterialFlags(const Args& args, v1::PutRequest* request) {
  // Text must be UTF-8 before it reaches the wire, where protobuf would
  // refuse the whole request without saying which field was at fault.
  FlagSpec spec;
  AddMaterialFlags(&spec);
  for (const auto* names : {&spec.values, &spec.repeated}) {
    for (const std::string& flag : *names) {
      for (const std::string& v : args.GetAll(flag)) {
        if (!IsValidUtf8(v)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "--", flag, ": not valid UTF-8 (is the terminal set to another encoding?)"));
        }
      }
    }
  }
  v1::Material* m = request->mutable_material();
  auto set = [&](const char* flag, std::string* field) {
    if (auto v = args.Get(flag)) *field = *v;
  };
  set("id", m->mutable_id());
  set("title", m->mutable_title());
  set("title-language", m->mutable_title_language());
  set("summary", m->mutable_summary());
  set("kind", m->mutable_kind());
  set("license", m->mutable_license());
  set("url", m->mutable_url());
  set("source", m->mutable_source());
  auto list = [&](const char* flag, google::protobuf::RepeatedPtrField<std::string>* field) {
    if (!args.Has(flag)) return;
    field->Clear();
    for (const std::string& v : args.GetAll(flag)) *field->Add() = v;
  };
  list("sector", m->mutable_sectors());
  list("population", m->mutable_populations());
  list("country", m->mutable_countries());
  list("language", m->mutable_languages());
  list("topic", m->mutable_topics());
  list("publisher", m->mutable_publisher());
  if (args.Has("title-in")) {
    m->clear_other_language_titles();
    for (const std::string& v : args.GetAll("title-in")) {
      const size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--title-in: '", v, "' is not LANG=TITLE"));
      }
      (*m->mutable_other_language_titles())[v.substr(0, eq)] = v.substr(eq + 1);
    }
  }
  if (auto y = args.Get("year")) {
    uint32_t year = 0;
    if (!y->empty() && !absl::SimpleAtoi(*y, &year)) {
      return absl::InvalidArgumentError(absl::StrCat("--year: '", *y, "' is not a year"));
    }
    m->set_year(year);
  }
  if (auto a = args.Get("audience")) {
    absl::StatusOr<v1::Audience> audience = ParseAudience(*a);
    if (!audience.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--audience: ", audience.status().message()));
    }
    *request->mutable_audience() = *audience;
  }
  return absl::OkStatus();
}

}  // namespace minga::cli
