// A corpus of realistic catalog materials for the benchmarks: each one
// shaped like the real samples (config/samples/materials.json): a title of
// about 100 bytes, a Spanish summary of about 600 characters, topics,
// publishers, sectors, populations and countries, about 1.3 KB as JSON.
//
// The text comes from a word-pair (Markov) model of the samples' Spanish
// titles and summaries, with about one word in eight drawn instead from a
// long tail of 40,000 made-up Spanish-like words (Zipf-distributed), so
// word frequencies look like a growing catalog's: a few words in most
// materials, most words in few. Material i is the same for a given seed on
// every run and machine.
//
// Thread safety: a Corpus is immutable once built; Make is const.
#ifndef MINGA_BENCH_CORPUS_H_
#define MINGA_BENCH_CORPUS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "minga/v1/material.pb.h"

namespace minga::bench {

class Corpus {
 public:
  // Builds the model from the samples file (JSON array).
  static absl::StatusOr<Corpus> FromSamples(const std::string& samples_path, uint64_t seed);

  // Material `i`, with local id "m<i>" (no origin prefix).
  v1::Material Make(uint64_t i) const;

 private:
  struct Follower {
    std::vector<uint32_t> words;  // next-word choices, repeated by count
  };
  std::string Sentence(uint64_t* state, size_t max_bytes) const;
  const std::string& TailWord(uint64_t* state) const;

  uint64_t seed_ = 0;
  std::vector<std::string> words_;       // the model's vocabulary
  std::vector<Follower> followers_;      // by word index
  std::vector<uint32_t> starts_;         // sentence starts
  std::vector<std::string> tail_;        // made-up words, by rank
  std::vector<double> tail_cumulative_;  // Zipf
  std::vector<v1::Material> samples_;    // for the other fields
};

}  // namespace minga::bench

#endif  // MINGA_BENCH_CORPUS_H_
