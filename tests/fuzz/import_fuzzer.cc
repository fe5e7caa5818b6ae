// Fuzzes the import formats `minga import` reads (JSON, JSON Lines, CSV)
// and the single-material JSON of `minga put --json`. The first byte
// chooses the format.
//
// Property: a material read from JSON, written back as JSON and read again,
// is the same material.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/string_view.h"
#include "client/formats/records.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/fuzz_support.h"

using minga::fuzz::Check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      (void)minga::ParseImportFile(text, minga::FileFormat::kJson);
      break;
    case 1:
      (void)minga::ParseImportFile(text, minga::FileFormat::kJsonLines);
      break;
    case 2:
      (void)minga::ParseImportFile(text, minga::FileFormat::kCsv);
      break;
    case 3: {
      absl::StatusOr<minga::ImportRecord> record = minga::ParseMaterialJson(text);
      if (!record.ok()) break;
      const std::string again = minga::MaterialToJson(record->material, record->audience);
      absl::StatusOr<minga::ImportRecord> reread = minga::ParseMaterialJson(again);
      Check(reread.ok(), "what was written as JSON reads back");
      // Compared field by field: the serialized bytes of a map of titles
      // depend on the order its entries were inserted in.
      Check(google::protobuf::util::MessageDifferencer::Equals(reread->material, record->material),
            "the material reads back the same");
      break;
    }
  }
  return 0;
}
