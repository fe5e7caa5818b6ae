// Shared by the fuzzers (fuzz_support.cc): how a broken property stops one.
#ifndef MINGA_TESTS_FUZZ_FUZZ_SUPPORT_H_
#define MINGA_TESTS_FUZZ_FUZZ_SUPPORT_H_

namespace minga::fuzz {

// Aborts, naming the property, unless `ok`: libFuzzer keeps the input.
void Check(bool ok, const char* property);

}  // namespace minga::fuzz

#endif  // MINGA_TESTS_FUZZ_FUZZ_SUPPORT_H_
