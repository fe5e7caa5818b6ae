#include "client/formats/material_fields.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "node/core/vocabulary.h"

namespace minga {

const std::vector<MaterialField>& MaterialFields() {
  static const auto* fields = [] {
    auto* fields = new std::vector<MaterialField>{
        {"id", "id", FieldKind::kString, "ID",
         "local id (or <org>/<local id>); assigned when absent"},
        {"title", "title", FieldKind::kString, "TEXT", "required for a new material"},
        {"title_language", "title-language", FieldKind::kString, "LANG",
         "BCP-47, e.g. es, pt-BR, qu"},
        {"other_language_titles", "title-in", FieldKind::kTitles, "LANG=TITLE",
         "a title in another language (repeatable)"},
        {"summary", "summary", FieldKind::kString, "TEXT", "a paragraph"},
        {"languages", "language", FieldKind::kList, "LANG",
         "languages it is available in (repeatable)"},
        {"kind", "kind", FieldKind::kString, "KIND", JoinVocabulary(Kinds())},
        {"sectors", "sector", FieldKind::kList, "S",
         absl::StrCat(JoinVocabulary(Sectors()), " (repeatable)")},
        {"populations", "population", FieldKind::kList, "P",
         absl::StrCat(JoinVocabulary(Populations()), " (repeatable)")},
        {"countries", "country", FieldKind::kList, "C", "ISO code, LAC or global (repeatable)"},
        {"topics", "topic", FieldKind::kList, "TAG", "kebab-case tag (repeatable)"},
        {"publisher", "publisher", FieldKind::kList, "NAME", "(repeatable)"},
        {"year", "year", FieldKind::kYear, "YEAR", "year of publication"},
        {"license", "license", FieldKind::kString, "TEXT", "e.g. CC-BY-4.0"},
        {"url", "url", FieldKind::kString, "URL", "where the material is published"},
        {"source", "source", FieldKind::kString, "TEXT", "where the entry came from"},
        {"audience", "audience", FieldKind::kAudience, "A",
         "public (default), private, or members:org-a,org-b"},
    };
    for (MaterialField& f : *fields) {
      f.descriptor = v1::Material::descriptor()->FindFieldByName(f.name);
    }
    return fields;
  }();
  return *fields;
}

const MaterialField* FindMaterialField(absl::string_view name) {
  for (const MaterialField& f : MaterialFields()) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

std::string FieldText(const MaterialField& field, const v1::Material& m,
                      absl::string_view separator) {
  switch (field.kind) {
    case FieldKind::kString:
      return m.GetReflection()->GetString(m, field.descriptor);
    case FieldKind::kList:
      return absl::StrJoin(FieldList(field, m), separator);
    case FieldKind::kYear:
      return m.year() == 0 ? "" : absl::StrCat(m.year());
    case FieldKind::kTitles:
    case FieldKind::kAudience:
      return "";
  }
  return "";
}

void SetFieldText(const MaterialField& field, std::string value, v1::Material* m) {
  m->GetReflection()->SetString(m, field.descriptor, std::move(value));
}

google::protobuf::MutableRepeatedFieldRef<std::string> MutableFieldList(const MaterialField& field,
                                                                        v1::Material* m) {
  return m->GetReflection()->GetMutableRepeatedFieldRef<std::string>(m, field.descriptor);
}

google::protobuf::RepeatedFieldRef<std::string> FieldList(const MaterialField& field,
                                                          const v1::Material& m) {
  return m.GetReflection()->GetRepeatedFieldRef<std::string>(m, field.descriptor);
}

}  // namespace minga
