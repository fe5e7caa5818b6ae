// Paths of project files for tests (MINGA_SOURCE_DIR comes from the build).
#ifndef MINGA_TESTS_UTIL_PATHS_H_
#define MINGA_TESTS_UTIL_PATHS_H_

#include <string>

namespace minga::testing {

// The sample materials shipped in config/samples.
inline std::string SampleMaterialsPath() {
  return std::string(MINGA_SOURCE_DIR) + "/config/samples/materials.json";
}

}  // namespace minga::testing

#endif  // MINGA_TESTS_UTIL_PATHS_H_
