#include "client/commands/material_flags.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/formats/material_fields.h"
#include "client/formats/records.h"
#include "node/core/status_macros.h"
#include "node/core/text.h"

namespace minga::cli {

std::string MaterialFlagsHelp() {
  std::string help = "Material fields:\n";
  for (const MaterialField& f : MaterialFields()) {
    const std::string flag = absl::StrCat("--", f.flag, " ", f.metavar);
    // Long help wraps under its flag, as the vocabularies do.
    std::string text = f.help;
    std::string line = absl::StrFormat("  %-23s ", flag);
    for (absl::string_view word : absl::StrSplit(text, ' ')) {
      if (line.size() + word.size() > 78 && line.size() > 26) {
        absl::StrAppend(&help, absl::StripTrailingAsciiWhitespace(line), "\n");
        line = std::string(26, ' ');
      }
      absl::StrAppend(&line, word, " ");
    }
    absl::StrAppend(&help, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return help;
}

void AddMaterialFlags(FlagSpec* spec) {
  for (const MaterialField& f : MaterialFields()) {
    const bool repeated = f.kind == FieldKind::kList || f.kind == FieldKind::kTitles;
    (repeated ? spec->repeated : spec->values).insert(f.flag);
  }
}

namespace {

// Text must be UTF-8 before it reaches the wire, where protobuf would refuse
// the whole request without saying which field was at fault.
absl::Status CheckUtf8(const Args& args) {
  for (const MaterialField& f : MaterialFields()) {
    for (const std::string& v : args.GetAll(f.flag)) {
      if (!IsValidUtf8(v)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", f.flag, ": not valid UTF-8 (is the terminal set to another encoding?)"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyMaterialFlags(const Args& args, v1::PutRequest* request) {
  RETURN_IF_ERROR(CheckUtf8(args));
  v1::Material* m = request->mutable_material();
  for (const MaterialField& f : MaterialFields()) {
    if (!args.Has(f.flag)) continue;
    switch (f.kind) {
      case FieldKind::kString:
        SetFieldText(f, *args.Get(f.flag), m);
        break;
      case FieldKind::kList: {
        auto list = MutableFieldList(f, m);
        list.Clear();
        for (const std::string& v : args.GetAll(f.flag)) list.Add(v);
        break;
      }
      case FieldKind::kTitles:
        m->clear_other_language_titles();
        for (const std::string& v : args.GetAll(f.flag)) {
          const size_t eq = v.find('=');
          if (eq == std::string::npos || eq == 0) {
            return absl::InvalidArgumentError(
                absl::StrCat("--", f.flag, ": '", v, "' is not LANG=TITLE"));
          }
          (*m->mutable_other_language_titles())[v.substr(0, eq)] = v.substr(eq + 1);
        }
        break;
      case FieldKind::kYear: {
        const std::string y = *args.Get(f.flag);
        uint32_t year = 0;
        if (!y.empty() && !absl::SimpleAtoi(y, &year)) {
          return absl::InvalidArgumentError(
              absl::StrCat("--", f.flag, ": '", y, "' is not a year"));
        }
        m->set_year(year);
        break;
      }
      case FieldKind::kAudience: {
        absl::StatusOr<v1::Audience> audience = ParseAudience(*args.Get(f.flag));
        if (!audience.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("--", f.flag, ": ", audience.status().message()));
        }
        *request->mutable_audience() = *audience;
        break;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace minga::cli
