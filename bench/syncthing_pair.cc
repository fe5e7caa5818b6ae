#include "bench/syncthing_pair.h"

#include <httplib.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/measure.h"
#include "nlohmann/json.hpp"
#include "node/core/status_macros.h"

namespace minga::bench {
namespace {

namespace fs = std::filesystem;
using testing::FreePort;
using testing::Run;

constexpr char kFolder[] = "corpus";

// One instance's config.xml (Syncthing 1.19's version 36): the folder
// shared with the peer, the peer at `peer_address` ("dynamic": never
// dialled), the REST API on loopback with `api_key`, and every way of
// reaching beyond loopback turned off.
// The folder (on A) or the peer (on B) starts paused, so the benchmark
// times the scan or the transfer from when it resumes them, not the
// instance's start.
std::string ConfigXml(const std::string& folder_path, const char* folder_type, bool folder_paused,
                      const std::string& self, const std::string& peer,
                      const std::string& peer_address, bool peer_paused, int gui_port,
                      const std::string& api_key, int listen_port) {
  return absl::StrCat(
      "<configuration version=\"36\">\n"
      "  <folder id=\"",
      kFolder, "\" label=\"", kFolder, "\" path=\"", folder_path, "\" type=\"", folder_type,
      "\" rescanIntervalS=\"86400\" fsWatcherEnabled=\"false\" ignorePerms=\"false\" "
      "autoNormalize=\"true\">\n"
      "    <filesystemType>basic</filesystemType>\n"
      "    <device id=\"",
      self, "\" introducedBy=\"\"></device>\n    <device id=\"", peer,
      "\" introducedBy=\"\"></device>\n"
      "    <minDiskFree unit=\"%\">0</minDiskFree>\n"
      "    <markerName>.stfolder</markerName>\n"
      "    <paused>",
      folder_paused ? "true" : "false",
      "</paused>\n"
      "  </folder>\n"
      "  <device id=\"",
      self,
      "\" name=\"self\" compression=\"metadata\" introducer=\"false\">\n"
      "    <address>dynamic</address>\n  </device>\n"
      "  <device id=\"",
      peer, "\" name=\"peer\" compression=\"metadata\" introducer=\"false\">\n    <address>",
      peer_address, "</address>\n    <paused>", peer_paused ? "true" : "false",
      "</paused>\n  </device>\n"
      "  <gui enabled=\"true\" tls=\"false\">\n    <address>127.0.0.1:",
      gui_port, "</address>\n    <apikey>", api_key,
      "</apikey>\n  </gui>\n"
      "  <options>\n"
      "    <listenAddress>tcp://127.0.0.1:",
      listen_port,
      "</listenAddress>\n"
      "    <globalAnnounceEnabled>false</globalAnnounceEnabled>\n"
      "    <localAnnounceEnabled>false</localAnnounceEnabled>\n"
      "    <relaysEnabled>false</relaysEnabled>\n"
      "    <natEnabled>false</natEnabled>\n"
      "    <startBrowser>false</startBrowser>\n"
      "    <urAccepted>-1</urAccepted>\n"
      "    <urSeen>3</urSeen>\n"
      "    <crashReportingEnabled>false</crashReportingEnabled>\n"
      "    <autoUpgradeIntervalH>0</autoUpgradeIntervalH>\n"
      "    <restartOnWakeup>false</restartOnWakeup>\n"
      "    <setLowPriority>false</setLowPriority>\n"
      "    <minHomeDiskFree unit=\"%\">0</minHomeDiskFree>\n"
      "    <reconnectionIntervalS>1</reconnectionIntervalS>\n"
      "    <announceLANAddresses>false</announceLANAddresses>\n"
      "  </options>\n"
      "</configuration>\n");
}

}  // namespace

SyncthingPair::~SyncthingPair() {
  for (testing::Process* p : {&b_, &a_}) {
    if (!p->running()) continue;
    p->Signal(SIGTERM);
    p->Wait(absl::Seconds(10));  // then the Process's destructor kills it
  }
}

absl::Status SyncthingPair::MakeHome(Instance& instance, const std::string& name) {
  instance.home = root_ / (name + "-home");
  const testing::RunResult generated =
      Run({"syncthing", "generate", "--home", instance.home.string(), "--no-default-folder",
           "--skip-port-probing"});
  if (generated.exit_code != 0) {
    return absl::UnavailableError(absl::StrCat(
        "syncthing generate failed (is Debian's syncthing installed?): ", generated.err));
  }
  const testing::RunResult id =
      Run({"syncthing", "serve", "--home", instance.home.string(), "--device-id"});
  instance.id = std::string(absl::StripAsciiWhitespace(id.out));
  if (id.exit_code != 0 || instance.id.empty()) {
    return absl::UnavailableError(absl::StrCat("syncthing --device-id failed: ", id.err));
  }
  instance.api_key = absl::StrCat("minga-bench-", name, "-", FreePort());
  instance.gui_port = FreePort();
  return absl::OkStatus();
}

absl::Status SyncthingPair::Setup(const fs::path& root, const fs::path& source, int a_via_port) {
  root_ = root;
  fs::create_directories(b_folder() / ".stfolder");
  fs::create_directories(source / ".stfolder");
  // No default folder, no upgrade and no restart whatever the config says;
  // and no monitor process: the process started is Syncthing itself, whose
  // memory is measured and which stops when stopped.
  ::setenv("STNODEFAULTFOLDER", "1", 1);
  ::setenv("STNOUPGRADE", "1", 1);
  ::setenv("STNORESTART", "1", 1);
  ::setenv("STMONITORED", "yes", 1);
  RETURN_IF_ERROR(MakeHome(a_info_, "a"));
  RETURN_IF_ERROR(MakeHome(b_info_, "b"));
  a_listen_ = FreePort();
  const int b_listen = FreePort();
  // A never dials B; B dials A through the proxy.
  std::ofstream(a_info_.home / "config.xml")
      << ConfigXml(source.string(), "sendonly", /*folder_paused=*/true, a_info_.id, b_info_.id,
                   "dynamic", /*peer_paused=*/false, a_info_.gui_port, a_info_.api_key, a_listen_);
  std::ofstream(b_info_.home / "config.xml")
      << ConfigXml(b_folder().string(), "receiveonly", /*folder_paused=*/false, b_info_.id,
                   a_info_.id, absl::StrCat("tcp://127.0.0.1:", a_via_port),
                   /*peer_paused=*/true, b_info_.gui_port, b_info_.api_key, b_listen);
  return absl::OkStatus();
}

absl::Status SyncthingPair::Start(const Instance& instance, testing::Process& process,
                                  const char* log) {
  if (!process.Start({"syncthing", "serve", "--home", instance.home.string(), "--no-browser",
                      "--no-restart", "--no-upgrade"},
                     (root_ / log).string())) {
    return absl::UnavailableError("syncthing did not start");
  }
  if (!WaitFor([&] { return Get(instance, "/rest/system/ping").ok(); }, absl::Seconds(60),
               absl::Milliseconds(20))) {
    return absl::UnavailableError(
        absl::StrCat("syncthing's REST API never answered; see ", (root_ / log).string()));
  }
  return absl::OkStatus();
}

absl::Status SyncthingPair::StartA() { return Start(a_info_, a_, "a.log"); }
absl::Status SyncthingPair::StartB() { return Start(b_info_, b_, "b.log"); }

absl::StatusOr<std::string> SyncthingPair::Get(const Instance& instance, const std::string& path) {
  httplib::Client client("127.0.0.1", instance.gui_port);
  client.set_connection_timeout(5);
  client.set_read_timeout(10);
  httplib::Result result = client.Get(path, {{"X-API-Key", instance.api_key}});
  if (!result || result->status != 200) {
    return absl::UnavailableError(absl::StrCat("syncthing: GET ", path, " failed"));
  }
  return result->body;
}

bool SyncthingPair::FolderState(const Instance& instance, uint64_t files, uint64_t bytes,
                                bool receiver) {
  absl::StatusOr<std::string> body =
      Get(instance, absl::StrCat("/rest/db/status?folder=", kFolder));
  if (!body.ok()) return false;
  const nlohmann::json status = nlohmann::json::parse(*body, nullptr, false);
  if (status.is_discarded() || status.value("state", "") != "idle") return false;
  if (status.value("globalFiles", uint64_t{0}) != files ||
      status.value("localFiles", uint64_t{0}) != files ||
      status.value("localBytes", uint64_t{0}) != bytes) {
    return false;
  }
  return !receiver || (status.value("needFiles", 1) == 0 && status.value("needBytes", 1) == 0);
}

std::string SyncthingPair::LocalVersion(const Instance& instance, const std::string& name) {
  absl::StatusOr<std::string> body =
      Get(instance, absl::StrCat("/rest/db/file?folder=", kFolder, "&file=", name));
  if (!body.ok()) return "";
  const nlohmann::json file = nlohmann::json::parse(*body, nullptr, false);
  if (file.is_discarded() || !file.contains("local") || !file["local"].contains("version")) {
    return "";
  }
  return file["local"]["version"].dump();
}

bool SyncthingPair::AScanned(uint64_t files, uint64_t bytes) {
  return FolderState(a_info_, files, bytes, false);
}

bool SyncthingPair::BSynced(uint64_t files, uint64_t bytes) {
  return FolderState(b_info_, files, bytes, true);
}

absl::Status SyncthingPair::Patch(const Instance& instance, const std::string& path,
                                  const std::string& json) {
  httplib::Client client("127.0.0.1", instance.gui_port);
  client.set_read_timeout(30);
  httplib::Result result =
      client.Patch(path, {{"X-API-Key", instance.api_key}}, json, "application/json");
  if (!result || result->status != 200) {
    return absl::UnavailableError(absl::StrCat("syncthing: PATCH ", path, " failed"));
  }
  return absl::OkStatus();
}

absl::Status SyncthingPair::ResumeAFolder() {
  return Patch(a_info_, absl::StrCat("/rest/config/folders/", kFolder), R"({"paused":false})");
}

absl::Status SyncthingPair::ResumeBPeer() {
  return Patch(b_info_, absl::StrCat("/rest/config/devices/", a_info_.id), R"({"paused":false})");
}

absl::Status SyncthingPair::RescanA() {
  httplib::Client client("127.0.0.1", a_info_.gui_port);
  client.set_read_timeout(60);
  httplib::Result result = client.Post(absl::StrCat("/rest/db/scan?folder=", kFolder),
                                       {{"X-API-Key", a_info_.api_key}}, "", "text/plain");
  if (!result || result->status != 200) {
    return absl::UnavailableError("syncthing: POST /rest/db/scan failed");
  }
  return absl::OkStatus();
}

}  // namespace minga::bench
