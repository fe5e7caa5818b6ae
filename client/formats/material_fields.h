// The material fields the client reads and writes, in one table: the import
// and export formats (records.h), the `minga put`/`edit` flags and their help
// (client/commands/material_flags.h) and `minga get`'s view all walk it, so a
// field added to Material is added here once (docs/layout.md has the
// checklist). Immutable; thread-safe.
#ifndef MINGA_CLIENT_FORMATS_MATERIAL_FIELDS_H_
#define MINGA_CLIENT_FORMATS_MATERIAL_FIELDS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "google/protobuf/reflection.h"
#include "minga/v1/material.pb.h"

namespace minga {

enum class FieldKind {
  kString,    // one text
  kList,      // repeated text: a JSON array, '|'-separated in CSV, a repeatable flag
  kYear,      // a whole number, 0 (null) when unknown
  kTitles,    // other_language_titles: {"pt": "..."}, CSV columns title.<lang>
  kAudience,  // not a Material field: the audience of its revision
};

struct MaterialField {
  const char* name;  // in files and views: "populations"
  const char* flag;  // on the command line: "population"
  FieldKind kind;
  // Flag help: the value's name, then what it holds.
  const char* metavar;
  std::string help;
  // The Material field of the same name; null for kAudience.
  const google::protobuf::FieldDescriptor* descriptor = nullptr;
};

// In file order: id, title, ... , audience.
const std::vector<MaterialField>& MaterialFields();
// By its name in files; null when there is none.
const MaterialField* FindMaterialField(absl::string_view name);

// A field's value as one line of text (lists joined by `separator`); empty
// for kTitles and kAudience, which the caller writes its own way.
std::string FieldText(const MaterialField& field, const v1::Material& m,
                      absl::string_view separator);
// kString: sets the text. kList: the list, to fill or read.
void SetFieldText(const MaterialField& field, std::string value, v1::Material* m);
google::protobuf::MutableRepeatedFieldRef<std::string> MutableFieldList(const MaterialField& field,
                                                                        v1::Material* m);
google::protobuf::RepeatedFieldRef<std::string> FieldList(const MaterialField& field,
                                                          const v1::Material& m);

}  // namespace minga

#endif  // MINGA_CLIENT_FORMATS_MATERIAL_FIELDS_H_
