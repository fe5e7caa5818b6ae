#include "node/catalog/search_index.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "node/core/ids.h"
#include "node/core/proto_util.h"
#include "node/core/status_macros.h"
#include "node/core/tokenizer.h"

namespace minga {
namespace {

void PutVarint(uint32_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(absl::string_view* in, uint32_t* v) {
  uint32_t result = 0;
  for (int shift = 0; shift <= 28 && !in->empty(); shift += 7) {
    const auto byte = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    result |= static_cast<uint32_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

absl::StatusOr<v1::storage::IndexStats> LoadStats(Txn* txn) {
  v1::storage::IndexStats stats;
  ASSIGN_OR_RETURN(std::optional<std::string> raw, txn->Get(Cf::kIndex, kStatsKey));
  if (raw.has_value() && !ParseProto(*raw, &stats)) {
    return absl::DataLossError("store: index statistics are corrupt");
  }
  return stats;
}

void AddStats(v1::storage::IndexStats* s, const v1::storage::IndexedDoc& d,
              int sign) {
  s->set_docs(s->docs() + sign);
  s->set_title_terms(s->title_terms() + sign * int64_t{d.title_terms()});
  s->set_summary_terms(s->summary_terms() + sign * int64_t{d.summary_terms()});
  s->set_topics_terms(s->topics_terms() + sign * int64_t{d.topics_terms()});
  s->set_publisher_terms(s->publisher_terms() +
                         sign * int64_t{d.publisher_terms()});
}

}  // namespace

std::vector<std::string> FacetsOf(const v1::Material& m) {
  std::vector<std::string> facets;
  for (const std::string& v : m.sectors()) facets.push_back("sector=" + v);
  facets.push_back("kind=" + m.kind());
  for (const std::string& v : m.populations()) facets.push_back("population=" + v);
  for (const std::string& v : m.languages()) facets.push_back("language=" + v);
  for (const std::string& v : m.countries()) facets.push_back("country=" + v);
  facets.push_back(absl::StrCat("origin=", OriginOf(m.id())));
  if (m.year() != 0) facets.push_back(absl::StrCat("year=", m.year()));
  return facets;
}

DocTerms AnalyzeMaterial(const v1::Material& m, int64_t time_unix_micros) {
  std::map<std::string, DocTerms::Tf> tfs;
  DocTerms out;
  auto add = [&](absl::string_view text, uint32_t DocTerms::Tf::*field,
                 uint32_t* length) {
    for (std::string& t : Terms(text)) {
      ++(tfs[std::move(t)].*field);
      ++*length;
    }
  };
  uint32_t title = 0, summary = 0, topics = 0, publisher = 0;
  add(m.title(), &DocTerms::Tf::title, &title);
  for (const auto& [lang, t] : m.other_language_titles()) {
    add(t, &DocTerms::Tf::title, &title);
  }
  add(m.summary(), &DocTerms::Tf::summary, &summary);
  for (const std::string& t : m.topics()) {
    add(t, &DocTerms::Tf::topics, &topics);
  }
  for (const std::string& p : m.publisher()) {
    add(p, &DocTerms::Tf::publisher, &publisher);
  }
  out.terms.assign(tfs.begin(), tfs.end());
  out.doc.set_title_terms(title);
  out.doc.set_summary_terms(summary);
  out.doc.set_topics_terms(topics);
  out.doc.set_publisher_terms(publisher);
  out.doc.set_year(m.year());
  out.doc.set_time_unix_micros(time_unix_micros);
  for (std::string& f : FacetsOf(m)) out.doc.add_facets(std::move(f));
  return out;
}

std::string TermPrefix(absl::string_view term) {
  return absl::StrCat("t", term, absl::string_view("\0", 1));
}
std::string TermKey(absl::string_view term, absl::string_view id) {
  return absl::StrCat(TermPrefix(term), id);
}
std::string FacetPrefix(absl::string_view facet_value) {
  return absl::StrCat("f", facet_value, absl::string_view("\0", 1));
}
std::string FacetKey(absl::string_view facet_value, absl::string_view id) {
  return absl::StrCat(FacetPrefix(facet_value), id);
}
std::string DocKey(absl::string_view id) { return absl::StrCat("d", id); }
std::string TermsKey(absl::string_view id) { return absl::StrCat("k", id); }

std::string EncodeTf(const DocTerms::Tf& tf) {
  std::string out;
  PutVarint(tf.title, &out);
  PutVarint(tf.summary, &out);
  PutVarint(tf.topics, &out);
  PutVarint(tf.publisher, &out);
  return out;
}

bool DecodeTf(absl::string_view value, DocTerms::Tf* tf) {
  return GetVarint(&value, &tf->title) && GetVarint(&value, &tf->summary) &&
         GetVarint(&value, &tf->topics) && GetVarint(&value, &tf->publisher);
}

absl::Status IndexAdd(Txn* txn, absl::string_view id, const v1::Material& m,
                      int64_t time_unix_micros) {
  RETURN_IF_ERROR(IndexRemove(txn, id));
  const DocTerms analyzed = AnalyzeMaterial(m, time_unix_micros);
  for (const auto& [term, tf] : analyzed.terms) {
    txn->Put(Cf::kIndex, TermKey(term, id), EncodeTf(tf));
  }
  for (const std::string& f : analyzed.doc.facets()) {
    txn->Put(Cf::kIndex, FacetKey(f, id), "");
  }
  txn->Put(Cf::kIndex, DocKey(id), analyzed.doc.SerializeAsString());
  v1::storage::IndexedTerms terms;
  for (const auto& [term, tf] : analyzed.terms) terms.add_terms(term);
  txn->Put(Cf::kIndex, TermsKey(id), terms.SerializeAsString());
  ASSIGN_OR_RETURN(v1::storage::IndexStats stats, LoadStats(txn));
  AddStats(&stats, analyzed.doc, +1);
  txn->Put(Cf::kIndex, kStatsKey, stats.SerializeAsString());
  return absl::OkStatus();
}

absl::Status IndexRemove(Txn* txn, absl::string_view id) {
  ASSIGN_OR_RETURN(std::optional<std::string> raw, txn->Get(Cf::kIndex, DocKey(id)));
  if (!raw.has_value()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::optional<std::string> raw_terms, txn->Get(Cf::kIndex, TermsKey(id)));
  v1::storage::IndexedDoc doc;
  v1::storage::IndexedTerms terms;
  if (!ParseProto(*raw, &doc) || !ParseProto(raw_terms.value_or(""), &terms)) {
    return absl::DataLossError(
        absl::StrCat("store: index record of '", id, "' is corrupt; run minga reindex"));
  }
  for (const std::string& term : terms.terms()) {
    txn->Delete(Cf::kIndex, TermKey(term, id));
  }
  for (const std::string& f : doc.facets()) {
    txn->Delete(Cf::kIndex, FacetKey(f, id));
  }
  txn->Delete(Cf::kIndex, DocKey(id));
  txn->Delete(Cf::kIndex, TermsKey(id));
  ASSIGN_OR_RETURN(v1::storage::IndexStats stats, LoadStats(txn));
  AddStats(&stats, doc, -1);
  txn->Put(Cf::kIndex, kStatsKey, stats.SerializeAsString());
  return absl::OkStatus();
}

}  // namespace minga
