// The OAI-PMH provider: arguments, resumption tokens, sets, and the six
// verbs written by one Response. Over 400 lines because the verbs share the
// response's envelope and errors, and each is short.
#include "node/oai/provider.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "node/core/ids.h"
#include "node/core/limits.h"
#include "node/core/status_macros.h"
#include "node/oai/formats.h"
#include "node/oai/xml.h"

namespace minga::oai {
namespace {

constexpr absl::string_view kOaiNamespace = "http://www.openarchives.org/OAI/2.0/";
constexpr absl::string_view kDayFormat = "%Y-%m-%d";
constexpr absl::string_view kSecondFormat = "%Y-%m-%dT%H:%M:%SZ";

// An OAI-PMH error: one of the protocol's codes and a message for people.
struct Fault {
  std::string code;
  std::string message;
};

// What the node shows of a material.
enum class Shown { kNo, kLive, kDeleted };

Shown Classify(const v1::MaterialView& v) {
  if (v.header().audience().scope() != v1::Audience::PUBLIC) return Shown::kNo;
  if (v.header().deleted()) return Shown::kDeleted;
  return v.has_body() ? Shown::kLive : Shown::kNo;
}

// When this version reached the node, in whole seconds (the granularity).
int64_t Datestamp(const v1::MaterialView& v) {
  const int64_t micros = v.provenance().received_unix_micros() != 0
                             ? v.provenance().received_unix_micros()
                             : v.header().time_unix_micros();
  return micros >= 0 ? micros / 1000000 : (micros - 999999) / 1000000;
}

std::string FormatSeconds(int64_t seconds) {
  return absl::FormatTime(kSecondFormat, absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
}

// An OAI-PMH date argument: "YYYY-MM-DD" or "YYYY-MM-DDThh:mm:ssZ".
struct Date {
  int64_t seconds = 0;
  bool day = false;  // the day granularity
};

std::optional<Date> ParseDate(absl::string_view s) {
  absl::Time t;
  std::string err;
  if (s.size() == 10 && absl::ParseTime(kDayFormat, s, absl::UTCTimeZone(), &t, &err)) {
    return Date{absl::ToUnixSeconds(t), true};
  }
  if (s.size() == 20 && absl::ParseTime(kSecondFormat, s, absl::UTCTimeZone(), &t, &err)) {
    return Date{absl::ToUnixSeconds(t), false};
  }
  return std::nullopt;
}

// The sets a record is in. A deleted record keeps no body, so only its
// origin is known.
std::vector<std::string> SetSpecs(const v1::MaterialView& v, Shown shown) {
  std::vector<std::string> specs = {absl::StrCat("origin:", OriginOf(v.id()))};
  if (shown != Shown::kLive) return specs;
  for (const std::string& s : v.material().sectors()) specs.push_back("sector:" + s);
  for (const std::string& c : v.material().countries()) specs.push_back("country:" + c);
  return specs;
}

// Whether a record is in `set`. Deleted records are reported in every set
// of their origin's listing, since which sector or country they were in is
// no longer known; a harvester drops those it never had.
bool InSet(const v1::MaterialView& v, Shown shown, absl::string_view set) {
  if (set.empty()) return true;
  if (shown == Shown::kDeleted && !absl::StartsWith(set, "origin")) return true;
  for (const std::string& spec : SetSpecs(v, shown)) {
    if (spec == set || (absl::StartsWith(spec, set) && spec[set.size()] == ':')) return true;
  }
  return false;
}

// Every held entry, headers only included, in feed order: what the lists,
// the sets and the earliest datestamp are read from.
ListQuery FeedOrder(int page_size) {
  ListQuery q;
  q.by_sequence = true;
  q.include_headers_only = true;
  q.page_size = page_size;
  return q;
}

// A list request, as its arguments or its resumption token carry it.
struct ListArgs {
  std::string prefix;
  std::string set;
  std::string from;
  std::string until;
  uint64_t after = 0;  // the feed position the list goes on after
};

constexpr absl::string_view kTokenVersion = "1";

std::string EncodeToken(const ListArgs& a) {
  return absl::WebSafeBase64Escape(absl::StrJoin(
      {std::string(kTokenVersion), absl::StrCat(a.after), a.prefix, a.set, a.from, a.until}, "|"));
}

std::optional<ListArgs> DecodeToken(absl::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(raw, '|');
  if (parts.size() != 6 || parts[0] != kTokenVersion) return std::nullopt;
  ListArgs a;
  if (!absl::SimpleAtoi(parts[1], &a.after)) return std::nullopt;
  a.prefix = parts[2];
  a.set = parts[3];
  a.from = parts[4];
  a.until = parts[5];
  if (a.prefix != kOaiDcPrefix && a.prefix != kMingaPrefix) return std::nullopt;
  if (!a.from.empty() && !ParseDate(a.from).has_value()) return std::nullopt;
  if (!a.until.empty() && !ParseDate(a.until).has_value()) return std::nullopt;
  return a;
}

// The arguments each verb takes.
struct VerbArgs {
  std::vector<absl::string_view> required;
  std::vector<absl::string_view> optional;
  // Allowed only alone, and then instead of the required ones.
  bool resumable = false;
};

const std::map<std::string, VerbArgs, std::less<>>& Verbs() {
  static const auto* verbs = new std::map<std::string, VerbArgs, std::less<>>{
      {"Identify", {{}, {}, false}},
      {"ListMetadataFormats", {{}, {"identifier"}, false}},
      {"ListSets", {{}, {}, true}},
      {"GetRecord", {{"identifier", "metadataPrefix"}, {}, false}},
      {"ListIdentifiers", {{"metadataPrefix"}, {"from", "until", "set"}, true}},
      {"ListRecords", {{"metadataPrefix"}, {"from", "until", "set"}, true}},
  };
  return *verbs;
}

// Checks the arguments against the verb: a fault, or the arguments by name.
std::optional<Fault> CheckArgs(const OaiArgs& args, std::string* verb,
                               std::map<std::string, std::string>* by_name) {
  for (const auto& [name, value] : args) {
    if (!by_name->emplace(name, value).second) {
      return Fault{name == "verb" ? "badVerb" : "badArgument",
                   absl::StrCat("the argument '", name, "' is given more than once")};
    }
  }
  auto v = by_name->find("verb");
  if (v == by_name->end()) return Fault{"badVerb", "the request has no verb"};
  auto spec = Verbs().find(v->second);
  if (spec == Verbs().end()) {
    return Fault{"badVerb", absl::StrCat("'", v->second, "' is not an OAI-PMH verb")};
  }
  *verb = v->second;
  by_name->erase(v);
  const VerbArgs& allowed = spec->second;
  if (allowed.resumable && by_name->count("resumptionToken") != 0) {
    if (by_name->size() != 1) {
      return Fault{"badArgument", "resumptionToken is an exclusive argument"};
    }
    return std::nullopt;
  }
  for (const auto& [name, value] : *by_name) {
    const bool known =
        std::find(allowed.required.begin(), allowed.required.end(), name) !=
            allowed.required.end() ||
        std::find(allowed.optional.begin(), allowed.optional.end(), name) != allowed.optional.end();
    if (!known) {
      return Fault{"badArgument", absl::StrCat("'", name, "' is not an argument of ", *verb)};
    }
  }
  for (absl::string_view name : allowed.required) {
    if (by_name->count(std::string(name)) == 0) {
      return Fault{"badArgument", absl::StrCat(*verb, " needs the argument ", name)};
    }
  }
  return std::nullopt;
}

// One response being written.
class Response {
 public:
  Response(const OaiSettings& settings, Catalog& catalog, std::string base_url, int64_t now)
      : settings_(settings), catalog_(catalog), base_url_(std::move(base_url)), now_(now) {}

  absl::StatusOr<std::string> Serve(const OaiArgs& args) {
    std::string verb;
    std::map<std::string, std::string> by_name;
    if (std::optional<Fault> fault = CheckArgs(args, &verb, &by_name)) {
      // The request element names no arguments after badVerb or badArgument.
      return Document("", {}, fault, "");
    }
    XmlOut body;
    ASSIGN_OR_RETURN(std::optional<Fault> fault, Verb(verb, by_name, &body));
    return Document(verb, by_name, fault, body.Take());
  }

 private:
  absl::StatusOr<std::optional<Fault>> Verb(const std::string& verb,
                                            const std::map<std::string, std::string>& a,
                                            XmlOut* out) {
    if (verb == "Identify") return Identify(out);
    if (verb == "ListMetadataFormats") return ListMetadataFormats(a, out);
    if (verb == "ListSets") return ListSets(a, out);
    if (verb == "GetRecord") return GetRecord(a, out);
    return List(verb == "ListRecords", a, out);
  }

  std::string Document(const std::string& verb, const std::map<std::string, std::string>& args,
                       const std::optional<Fault>& fault, absl::string_view body) {
    XmlOut out;
    out.Raw("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.Open("OAI-PMH", {{"xmlns", std::string(kOaiNamespace)},
                         {"xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"},
                         {"xsi:schemaLocation",
                          absl::StrCat(kOaiNamespace, " ", kOaiNamespace, "OAI-PMH.xsd")}});
    out.Leaf("responseDate", FormatSeconds(now_));
    XmlAttrs request;
    if (!verb.empty()) {
      request.emplace_back("verb", verb);
      for (const auto& [k, v] : args) request.emplace_back(k, v);
    }
    out.Leaf("request", base_url_, request);
    if (fault.has_value()) {
      out.Leaf("error", fault->message, {{"code", fault->code}});
    } else {
      out.Open(verb);
      out.Raw(body);
      out.Close(verb);
    }
    out.Close("OAI-PMH");
    return out.Take();
  }

  std::string Identifier(absl::string_view id) const {
    return absl::StrCat("oai:", settings_.repository_identifier, ":", id);
  }

  // The material id of an OAI identifier of this repository, or nothing.
  std::optional<std::string> MaterialId(absl::string_view identifier) const {
    const std::string prefix = absl::StrCat("oai:", settings_.repository_identifier, ":");
    if (!absl::StartsWith(identifier, prefix)) return std::nullopt;
    return std::string(identifier.substr(prefix.size()));
  }

  // The view of a public material, or nothing (unknown and confined alike).
  absl::StatusOr<std::optional<v1::MaterialView>> Find(absl::string_view identifier) {
    std::optional<std::string> id = MaterialId(identifier);
    if (!id.has_value()) return std::nullopt;
    absl::StatusOr<v1::MaterialView> view = catalog_.Get(*id);
    if (absl::IsNotFound(view.status()) || absl::IsInvalidArgument(view.status())) {
      return std::nullopt;
    }
    RETURN_IF_ERROR(view.status());
    if (Classify(*view) == Shown::kNo) return std::nullopt;
    return *std::move(view);
  }

  absl::StatusOr<std::optional<Fault>> Identify(XmlOut* out) {
    out->Leaf("repositoryName", settings_.repository_name);
    out->Leaf("baseURL", base_url_);
    out->Leaf("protocolVersion", "2.0");
    out->Leaf("adminEmail", settings_.admin_email);
    ASSIGN_OR_RETURN(int64_t earliest, EarliestDatestamp());
    out->Leaf("earliestDatestamp", FormatSeconds(earliest));
    // Retractions are kept, but a material purged with its origin's
    // membership leaves no trace: "transient", as the protocol allows.
    out->Leaf("deletedRecord", "transient");
    out->Leaf("granularity", "YYYY-MM-DDThh:mm:ssZ");
    return std::nullopt;
  }

  // The datestamp of the oldest feed position: versions reach the node in
  // feed order, so none is older (short of a clock set back).
  absl::StatusOr<int64_t> EarliestDatestamp() {
    ASSIGN_OR_RETURN(ListPage page, catalog_.List(FeedOrder(1)));
    if (page.materials.empty()) return now_;
    return std::min(now_, Datestamp(page.materials.front()));
  }

  absl::StatusOr<std::optional<Fault>> ListMetadataFormats(
      const std::map<std::string, std::string>& a, XmlOut* out) {
    if (auto id = a.find("identifier"); id != a.end()) {
      ASSIGN_OR_RETURN(std::optional<v1::MaterialView> view, Find(id->second));
      if (!view.has_value()) return NoSuchId(id->second);
    }
    out->Open("metadataFormat");
    out->Leaf("metadataPrefix", kOaiDcPrefix);
    out->Leaf("schema", kOaiDcSchema);
    out->Leaf("metadataNamespace", kOaiDcNamespace);
    out->Close("metadataFormat");
    out->Open("metadataFormat");
    out->Leaf("metadataPrefix", kMingaPrefix);
    out->Leaf("schema", absl::StrCat(base_url_, kMingaSchemaPath));
    out->Leaf("metadataNamespace", kMingaNamespace);
    out->Close("metadataFormat");
    return std::nullopt;
  }

  static Fault NoSuchId(absl::string_view identifier) {
    return Fault{"idDoesNotExist",
                 absl::StrCat("no public material has the identifier '", identifier, "'")};
  }

  // Every set some public material is in, from a scan: sets are few and
  // asked for rarely.
  absl::StatusOr<std::optional<Fault>> ListSets(const std::map<std::string, std::string>& a,
                                                XmlOut* out) {
    if (a.count("resumptionToken") != 0) {
      return Fault{"badResumptionToken", "ListSets is never split, so it has no tokens"};
    }
    std::set<std::string> specs;
    ListQuery q = FeedOrder(kMaxPageSize);
    while (true) {
      ASSIGN_OR_RETURN(ListPage page, catalog_.List(q));
      for (const v1::MaterialView& v : page.materials) {
        const Shown shown = Classify(v);
        if (shown == Shown::kNo) continue;
        for (std::string& s : SetSpecs(v, shown)) specs.insert(std::move(s));
      }
      if (page.next_page_token.empty()) break;
      q.page_token = page.next_page_token;
    }
    const std::vector<std::pair<std::string, std::string>> tops = {
        {"country", "Materials by country or region covered"},
        {"origin", "Materials by the organisation that published them"},
        {"sector", "Materials by Essential Services Package sector"}};
    for (const auto& [top, name] : tops) {
      out->Open("set");
      out->Leaf("setSpec", top);
      out->Leaf("setName", name);
      out->Close("set");
      for (const std::string& spec : specs) {
        if (!absl::StartsWith(spec, top + ":")) continue;
        out->Open("set");
        out->Leaf("setSpec", spec);
        out->Leaf("setName", absl::StrCat(name, ": ", spec.substr(top.size() + 1)));
        out->Close("set");
      }
    }
    return std::nullopt;
  }

  static std::optional<Fault> CheckPrefix(absl::string_view prefix) {
    if (prefix == kOaiDcPrefix || prefix == kMingaPrefix) return std::nullopt;
    return Fault{"cannotDisseminateFormat",
                 absl::StrCat("'", prefix, "' is not a metadata format here (oai_dc, minga)")};
  }

  void WriteHeader(const v1::MaterialView& v, Shown shown, XmlOut* out) {
    XmlAttrs attrs;
    if (shown == Shown::kDeleted) attrs.emplace_back("status", "deleted");
    out->Open("header", attrs);
    out->Leaf("identifier", Identifier(v.id()));
    out->Leaf("datestamp", FormatSeconds(Datestamp(v)));
    for (const std::string& spec : SetSpecs(v, shown)) out->Leaf("setSpec", spec);
    out->Close("header");
  }

  void WriteRecord(const v1::MaterialView& v, Shown shown, absl::string_view prefix, XmlOut* out) {
    out->Open("record");
    WriteHeader(v, shown, out);
    if (shown == Shown::kLive) {
      out->Open("metadata");
      if (prefix == kOaiDcPrefix) {
        WriteOaiDc(v, out);
      } else {
        WriteMinga(v, absl::StrCat(base_url_, kMingaSchemaPath), out);
      }
      out->Close("metadata");
    }
    out->Close("record");
  }

  absl::StatusOr<std::optional<Fault>> GetRecord(const std::map<std::string, std::string>& a,
                                                 XmlOut* out) {
    const std::string& prefix = a.at("metadataPrefix");
    ASSIGN_OR_RETURN(std::optional<v1::MaterialView> view, Find(a.at("identifier")));
    if (!view.has_value()) return NoSuchId(a.at("identifier"));
    if (std::optional<Fault> f = CheckPrefix(prefix)) return f;
    WriteRecord(*view, Classify(*view), prefix, out);
    return std::nullopt;
  }

  // ListIdentifiers and ListRecords: the next page of matching records in
  // feed order, and a token for the rest when there is more.
  absl::StatusOr<std::optional<Fault>> List(bool records,
                                            const std::map<std::string, std::string>& a,
                                            XmlOut* out) {
    ListArgs args;
    const bool resumed = a.count("resumptionToken") != 0;
    if (resumed) {
      std::optional<ListArgs> decoded = DecodeToken(a.at("resumptionToken"));
      if (!decoded.has_value()) {
        return Fault{"badResumptionToken", "the resumption token is not one this node issued"};
      }
      args = *std::move(decoded);
    } else {
      args.prefix = a.at("metadataPrefix");
      if (auto it = a.find("set"); it != a.end()) args.set = it->second;
      if (auto it = a.find("from"); it != a.end()) args.from = it->second;
      if (auto it = a.find("until"); it != a.end()) args.until = it->second;
    }
    std::optional<Date> from;
    std::optional<Date> until;
    for (auto [text, date, name] :
         {std::tuple(&args.from, &from, "from"), std::tuple(&args.until, &until, "until")}) {
      if (text->empty()) continue;
      *date = ParseDate(*text);
      if (!date->has_value()) {
        return Fault{
            "badArgument",
            absl::StrCat(name, ": '", *text, "' is neither YYYY-MM-DD nor YYYY-MM-DDThh:mm:ssZ")};
      }
    }
    if (from.has_value() && until.has_value()) {
      if (from->day != until->day) {
        return Fault{"badArgument", "from and until have different granularities"};
      }
      if (from->seconds > until->seconds) return Fault{"badArgument", "from is after until"};
    }
    // "until" a day takes in the whole of that day.
    const int64_t last =
        !until.has_value() ? INT64_MAX : until->seconds + (until->day ? 24 * 3600 - 1 : 0);
    const int64_t first = from.has_value() ? from->seconds : INT64_MIN;
    if (std::optional<Fault> f = CheckPrefix(args.prefix)) return f;

    ListQuery q = FeedOrder(kMaxPageSize);
    if (args.after != 0) q.page_token = absl::StrCat("s:", args.after);
    if (absl::StartsWith(args.set, "origin:")) {
      q.origin = args.set.substr(7);
      if (!IsValidOrgId(q.origin)) return NoRecords();
    }
    std::vector<std::pair<v1::MaterialView, Shown>> found;
    bool more = false;
    while (!more) {
      ASSIGN_OR_RETURN(ListPage page, catalog_.List(q));
      for (v1::MaterialView& v : page.materials) {
        const Shown shown = Classify(v);
        if (shown == Shown::kNo || !InSet(v, shown, args.set)) continue;
        const int64_t stamp = Datestamp(v);
        if (stamp < first || stamp > last) continue;
        if (static_cast<int>(found.size()) == settings_.page_size) {
          more = true;
          break;
        }
        found.emplace_back(std::move(v), shown);
      }
      if (page.next_page_token.empty()) break;
      q.page_token = page.next_page_token;
    }
    // Also when the records a token promised left the public view since.
    if (found.empty()) return NoRecords();
    for (const auto& [v, shown] : found) {
      if (records) {
        WriteRecord(v, shown, args.prefix, out);
      } else {
        WriteHeader(v, shown, out);
      }
    }
    if (more) {
      args.after = found.back().first.lseq();
      out->Leaf("resumptionToken", EncodeToken(args));
    } else if (resumed) {
      out->Empty("resumptionToken");
    }
    return std::nullopt;
  }

  static Fault NoRecords() {
    return Fault{"noRecordsMatch", "no public material matches the arguments"};
  }

  const OaiSettings& settings_;
  Catalog& catalog_;
  const std::string base_url_;
  const int64_t now_;
};

}  // namespace

absl::StatusOr<std::string> OaiProvider::Handle(const OaiArgs& args, absl::string_view base_url) {
  Response response(settings_, catalog_, std::string(base_url), clock_.NowMicros() / 1000000);
  return response.Serve(args);
}

}  // namespace minga::oai
