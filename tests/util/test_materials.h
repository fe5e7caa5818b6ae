// Materials for tests.
#ifndef MINGA_TESTS_UTIL_TEST_MATERIALS_H_
#define MINGA_TESTS_UTIL_TEST_MATERIALS_H_

#include <string>

#include "minga/v1/material.pb.h"
#include "tests/util/paths.h"

namespace minga::testing {

// A valid material (before id assignment) with the given title.
inline v1::Material MakeMaterial(const std::string& title, const std::string& local_id = "") {
  v1::Material m;
  m.set_id(local_id);
  m.set_title(title);
  m.set_title_language("es");
  m.set_summary("Guía para la atención de mujeres que viven violencia.");
  m.set_kind("guide");
  m.add_sectors("health");
  m.add_populations("general");
  m.add_countries("GT");
  m.add_topics("first-line-support");
  m.add_publisher("OPS");
  m.set_year(2020);
  m.set_url("https://example.org/guia.pdf");
  return m;
}

}  // namespace minga::testing

#endif  // MINGA_TESTS_UTIL_TEST_MATERIALS_H_
