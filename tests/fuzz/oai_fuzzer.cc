// Fuzzes what `minga harvest` reads from a repository it does not control:
// an OAI-PMH response (libxml2, through ParseOaiPage) and the mapping of
// each record it holds to a material.
//
// Property: a record that maps is a material with a valid local id.
#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "client/harvest/mapping.h"
#include "client/harvest/oai_page.h"
#include "node/core/ids.h"
#include "tests/fuzz/fuzz_support.h"

using minga::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<minga::harvest::OaiPage> page = minga::harvest::ParseOaiPage(text);
  if (!page.ok()) return 0;
  for (const minga::harvest::OaiRecord& r : page->records) {
    absl::StatusOr<minga::v1::Material> m =
        minga::harvest::MapRecord(r, minga::harvest::DefaultMapping(), "fuzz");
    if (!m.ok()) continue;
    Check(minga::IsValidLocalId(m->id()), "a mapped record has a valid local id");
  }
  return 0;
}
