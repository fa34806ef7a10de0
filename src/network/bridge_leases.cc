#include "network/bridge_leases.h"

#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "base/fs.h"
#include "base/json.h"
#include "sys/file_lock.h"

namespace berth::network {

struct BridgeLeases::State {
  std::string path;
  sys::FileLock lock;
  std::map<Ip4, std::pair<std::string, std::string>> leases;  // ip → (root, container)
};

namespace {

bool container_exists(const std::string& root, const std::string& container) {
  return path_exists(fmt::format("{}/containers/{}", root, container));
}

}  // namespace

std::string bridge_state_dir() {
  const char* v = std::getenv("BERTH_BRIDGE_LEASES_DIR");
  return v != nullptr && *v != '\0' ? std::string(v) : std::string("/run/berth-bridge");
}

Result<BridgeLeases> BridgeLeases::open() {
  std::string dir = bridge_state_dir();
  BERTH_CHECK(mkdir_p(dir, 0700));
  auto lock = BERTH_TRY(sys::FileLock::acquire(dir + "/.lock", sys::FileLock::Mode::kExclusive));
  BridgeLeases out(std::make_unique<State>(State{dir + "/leases.json", std::move(lock), {}}));
  State* s = out.s_.get();
  if (auto text = read_file(s->path); text) {
    auto j = parse_json(*text, s->path);
    if (j && j->is_object()) {
      for (const auto& [ip, v] : j->items()) {
        auto addr = parse_ip4(ip);
        if (addr && v.is_array() && v.size() == 2 && v[0].is_string() && v[1].is_string()) {
          s->leases[*addr] = {v[0].get<std::string>(), v[1].get<std::string>()};
        }
      }
    }  // a corrupt file is started afresh: the containers' own records still hold their addresses
  }
  return out;
}

BridgeLeases::BridgeLeases(std::unique_ptr<State> s) : s_(std::move(s)) {}
BridgeLeases::BridgeLeases(BridgeLeases&&) noexcept = default;
BridgeLeases& BridgeLeases::operator=(BridgeLeases&&) noexcept = default;
BridgeLeases::~BridgeLeases() = default;

void BridgeLeases::mark_taken(Allocations& alloc, const std::string& root,
                              const std::string& container) {
  for (auto it = s_->leases.begin(); it != s_->leases.end();) {
    const auto& [r, c] = it->second;
    if (!container_exists(r, c)) {
      it = s_->leases.erase(it);  // its container (or its whole store root) is gone
      continue;
    }
    if (r != root || c != container) {
      alloc.mark_used(it->first);
    }
    ++it;
  }
}

void BridgeLeases::lease(Ip4 ip, const std::string& root, const std::string& container) {
  s_->leases[ip] = {root, container};
}

void BridgeLeases::drop(const std::string& root, const std::string& container) {
  std::erase_if(s_->leases, [&](const auto& e) {
    return e.second.first == root && e.second.second == container;
  });
}

Result<void> BridgeLeases::save() {
  Json j = Json::object();
  for (const auto& [ip, owner] : s_->leases) {
    j[format_ip4(ip)] = Json::array({owner.first, owner.second});
  }
  return write_file_atomic(s_->path, j.dump() + "\n", 0600, Durability::kAtomicOnly);
}

}  // namespace berth::network
