#include "bench/corpus.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/formats/records.h"

namespace minga::bench {
namespace {

// splitmix64: a small, fast, well-mixed generator whose state is a number.
uint64_t Next(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
double Unit(uint64_t* state) { return (Next(state) >> 11) * (1.0 / 9007199254740992.0); }
size_t Pick(uint64_t* state, size_t n) { return static_cast<size_t>(Next(state) % n); }

bool IsSpanish(const v1::Material& m) { return m.title_language() == "es"; }

// Words and punctuation of a text, as the model's tokens.
std::vector<std::string> Tokens(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == ',' || c == '.' || c == ';' || c == ':' || c == '(' || c == ')') {
      if (!word.empty()) out.push_back(std::move(word));
      word.clear();
      if (c == ',' || c == '.') out.push_back(std::string(1, c));
    } else {
      word.push_back(c);
    }
  }
  if (!word.empty()) out.push_back(std::move(word));
  return out;
}

}  // namespace

absl::StatusOr<Corpus> Corpus::FromSamples(const std::string& path, uint64_t seed) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the samples"));
  Corpus c;
  c.seed_ = seed;
  for (const ParsedRecord& r : ParseImportFile(ss.str(), FileFormat::kJson).records) {
    if (r.record.ok()) c.samples_.push_back(r.record->material);
  }
  if (c.samples_.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no samples"));
  std::map<std::string, uint32_t> index;
  auto id_of = [&](const std::string& w) {
    auto [it, fresh] = index.try_emplace(w, static_cast<uint32_t>(c.words_.size()));
    if (fresh) {
      c.words_.push_back(w);
      c.followers_.emplace_back();
    }
    return it->second;
  };
  auto learn = [&](const std::string& text) {
    const std::vector<std::string> tokens = Tokens(text);
    for (size_t i = 0; i < tokens.size(); ++i) {
      const uint32_t w = id_of(tokens[i]);
      if (i == 0 || tokens[i - 1] == ".") c.starts_.push_back(w);
      if (i + 1 < tokens.size()) {
        const uint32_t next = id_of(tokens[i + 1]);  // may grow followers_
        c.followers_[w].words.push_back(next);
      }
    }
  };
  for (const v1::Material& m : c.samples_) {
    if (IsSpanish(m)) {
      learn(m.title() + ".");
      learn(m.summary());
    }
    if (auto es = m.other_language_titles().find("es"); es != m.other_language_titles().end()) {
      learn(es->second + ".");
    }
  }
  // The tail: Spanish-like syllables, Zipf (s = 1.05) by rank, from rank
  // 1,000 on: the samples' own words stay the frequent ones.
  static const char* kOnsets[] = {"b", "c", "d",  "f",  "g",  "l",  "m",  "n",  "p", "r",  "s",
                                  "t", "v", "ch", "br", "tr", "pl", "gr", "cr", "j", "ll", "qu"};
  static const char* kVowels[] = {"a", "e", "i", "o", "u", "ia", "io", "ue"};
  static const char* kCodas[] = {"", "", "", "n", "s", "r", "l", "ción", "dad", "miento"};
  uint64_t state = seed ^ 0x5EED;
  double sum = 0;
  for (int rank = 0; rank < 40000; ++rank) {
    std::string w;
    const size_t syllables = 2 + Pick(&state, 3);
    for (size_t s = 0; s < syllables; ++s) {
      absl::StrAppend(&w, kOnsets[Pick(&state, 22)], kVowels[Pick(&state, 8)]);
    }
    w += kCodas[Pick(&state, 10)];
    c.tail_.push_back(std::move(w));
    sum += 1.0 / std::pow(rank + 1000, 1.05);
    c.tail_cumulative_.push_back(sum);
  }
  return c;
}

const std::string& Corpus::TailWord(uint64_t* state) const {
  const double r = Unit(state) * tail_cumulative_.back();
  return tail_[std::lower_bound(tail_cumulative_.begin(), tail_cumulative_.end(), r) -
               tail_cumulative_.begin()];
}

std::string Corpus::Sentence(uint64_t* state, size_t max_bytes) const {
  std::string out;
  uint32_t w = starts_[Pick(state, starts_.size())];
  for (int n = 0; n < 60 && out.size() < max_bytes; ++n) {
    const std::string& word =
        Unit(state) < 0.12 && words_[w].size() > 2 ? TailWord(state) : words_[w];
    if (word == "." || word == ",") {
      out += word;
      if (word == ".") break;
    } else {
      if (!out.empty()) out += ' ';
      out += word;
    }
    const Follower& f = followers_[w];
    if (f.words.empty()) break;
    w = f.words[Pick(state, f.words.size())];
  }
  if (!out.empty() && out.back() != '.') out += '.';
  if (!out.empty()) out[0] = absl::ascii_toupper(out[0]);
  return out;
}

v1::Material Corpus::Make(uint64_t i) const {
  uint64_t state = seed_ * 1000003 + i;
  const v1::Material& like = samples_[Pick(&state, samples_.size())];
  v1::Material m;
  m.set_id(absl::StrCat("m", i));
  std::string title = Sentence(&state, 100);
  if (title.size() > 1) title.pop_back();  // no final period
  m.set_title(title);
  m.set_title_language("es");
  std::string summary;
  while (summary.size() < 560) {
    if (!summary.empty()) summary += ' ';
    summary += Sentence(&state, 640 - summary.size());
  }
  m.set_summary(summary);
  m.add_languages("es");
  m.set_kind(like.kind());
  *m.mutable_sectors() = like.sectors();
  *m.mutable_populations() = like.populations();
  *m.mutable_countries() = like.countries();
  *m.mutable_topics() = like.topics();
  *m.mutable_publisher() = like.publisher();
  m.set_year(2000 + static_cast<uint32_t>(Pick(&state, 26)));
  m.set_license(like.license());
  m.set_url(absl::StrCat("https://example.org/materiales/", i));
  m.set_source(like.source().substr(0, 120));
  return m;
}

}  // namespace minga::bench
