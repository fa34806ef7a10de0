#include "cli/commands/image_json.h"

#include <ctime>
#include <set>

#include "base/strings.h"
#include "engine/engine.h"

namespace berth::cli {

std::string docker_time(int64_t unix_nanos) {
  time_t secs = static_cast<time_t>(unix_nanos / 1000000000);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S +0000 UTC", &tm);
  return buf;
}

std::map<std::string, std::string> image_headers() {
  return {{"Repository", "REPOSITORY"},
          {"Tag", "TAG"},
          {"Digest", "DIGEST"},
          {"ID", "IMAGE ID"},
          {"CreatedSince", "CREATED"},
          {"CreatedAt", "CREATED AT"},
          {"Size", "SIZE"},
          {"CreatedBy", "CREATED BY"},
          {"Comment", "COMMENT"},
          {"Containers", "CONTAINERS"},
          {"SharedSize", "SHARED SIZE"},
          {"UniqueSize", "UNIQUE SIZE"},
          {"Type", "TYPE"},
          {"TotalCount", "TOTAL"},
          {"Active", "ACTIVE"},
          {"Reclaimable", "RECLAIMABLE"}};
}

std::vector<Json> image_rows(const engine::Image& img, bool no_trunc) {
  std::string id = no_trunc ? img.id.str() : img.id.short_id();
  std::string since = img.created_nanos > 0
                          ? human_duration((now_nanos() - img.created_nanos) / 1000000000) + " ago"
                          : "N/A";
  // The familiar repository of each repo digest, and its digest.
  std::vector<std::pair<std::string, std::string>> digests;
  for (const auto& rd : img.repo_digests) {
    auto at = rd.rfind('@');
    if (at != std::string::npos) {
      digests.emplace_back(engine::familiar_repo_tag(rd.substr(0, at)).first, rd.substr(at + 1));
    }
  }
  auto digest_of = [&](const std::string& repo) {
    for (auto it = digests.rbegin(); it != digests.rend(); ++it) {
      if (it->first == repo) {
        return it->second;
      }
    }
    return std::string("<none>");
  };
  auto row = [&](const std::string& repo, const std::string& tag) {
    Json j = Json::object();
    j["Containers"] = "N/A";
    j["CreatedAt"] = img.created_nanos > 0 ? docker_time(img.created_nanos) : "";
    j["CreatedSince"] = since;
    j["Digest"] = digest_of(repo);
    j["ID"] = id;
    j["Repository"] = repo;
    j["SharedSize"] = "N/A";
    j["Size"] = human_size(static_cast<double>(img.size));
    j["Tag"] = tag;
    j["UniqueSize"] = "N/A";
    j["VirtualSize"] = human_size(static_cast<double>(img.size));
    return j;
  };
  std::vector<Json> out;
  std::set<std::string> tagged;
  for (const auto& r : img.refs) {
    auto [repo, tag] = engine::familiar_repo_tag(r);
    tagged.insert(repo);
    out.push_back(row(repo, tag));
  }
  // docker lists a repository the image has a digest in but no tag as "<none>" (pulled by digest).
  for (const auto& [repo, digest] : digests) {
    if (tagged.insert(repo).second) {
      out.push_back(row(repo, "<none>"));
    }
  }
  if (out.empty()) {
    out.push_back(row("<none>", "<none>"));
  }
  return out;
}

namespace {

Json strings_or_null(const std::optional<std::vector<std::string>>& v) {
  if (!v) {
    return nullptr;
  }
  return Json(*v);
}

Json set_or_null(const std::vector<std::string>& keys) {
  if (keys.empty()) {
    return nullptr;
  }
  Json j = Json::object();
  for (const auto& k : keys) {
    j[k] = Json::object();
  }
  return j;
}

Json container_config_json(const oci::ContainerConfig& c) {
  Json j = Json::object();
  j["Hostname"] = "";
  j["Domainname"] = "";
  j["User"] = c.user;
  j["AttachStdin"] = false;
  j["AttachStdout"] = false;
  j["AttachStderr"] = false;
  if (!c.exposed_ports.empty()) {
    j["ExposedPorts"] = set_or_null(c.exposed_ports);
  }
  j["Tty"] = false;
  j["OpenStdin"] = false;
  j["StdinOnce"] = false;
  j["Env"] = c.env.empty() ? Json(nullptr) : Json(c.env);
  j["Cmd"] = strings_or_null(c.cmd);
  if (c.healthcheck) {
    Json h = Json::object();
    h["Test"] = c.healthcheck->test;
    h["Interval"] = c.healthcheck->interval;
    h["Timeout"] = c.healthcheck->timeout;
    h["StartPeriod"] = c.healthcheck->start_period;
    h["Retries"] = c.healthcheck->retries;
    j["Healthcheck"] = h;
  }
  j["Image"] = "";
  j["Volumes"] = set_or_null(c.volumes);
  j["WorkingDir"] = c.working_dir;
  j["Entrypoint"] = strings_or_null(c.entrypoint);
  j["OnBuild"] = c.on_build.empty() ? Json(nullptr) : Json(c.on_build);
  j["Labels"] = c.labels.empty() ? Json(nullptr) : Json(c.labels);
  if (!c.stop_signal.empty()) {
    j["StopSignal"] = c.stop_signal;
  }
  if (!c.shell.empty()) {
    j["Shell"] = c.shell;
  }
  return j;
}

}  // namespace

Json image_inspect_json(const engine::Image& img) {
  Json j = Json::object();
  j["Id"] = img.id.str();
  Json tags = Json::array();
  for (const auto& r : img.refs) {
    tags.push_back(engine::familiar_ref(r));
  }
  j["RepoTags"] = tags;
  Json digests = Json::array();
  for (const auto& rd : img.repo_digests) {
    digests.push_back(engine::familiar_ref(rd));
  }
  j["RepoDigests"] = digests;
  j["Parent"] = "";
  j["Comment"] = img.config.history.empty() ? "" : img.config.history.back().comment;
  j["Created"] = img.config.created;
  j["DockerVersion"] = "";
  j["Author"] = img.config.author;
  j["Config"] = container_config_json(img.config.config);
  j["Architecture"] = img.config.architecture;
  if (!img.config.variant.empty()) {
    j["Variant"] = img.config.variant;
  }
  j["Os"] = img.config.os;
  j["Size"] = img.size;
  j["VirtualSize"] = img.size;
  Json layers = Json::array();
  for (const auto& d : img.config.diff_ids) {
    layers.push_back(d.str());
  }
  j["GraphDriver"] = Json{{"Data", nullptr}, {"Name", "overlay"}};
  j["RootFS"] = Json{{"Type", "layers"}, {"Layers", layers}};
  j["Metadata"] = Json{{"LastTagTime", "0001-01-01T00:00:00Z"}};
  return j;
}

}  // namespace berth::cli
