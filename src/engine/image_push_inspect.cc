// `manifest inspect`: a registry's manifest or index as it serves it, and Go's indentation of
// it (docker prints the registry's bytes through json.Indent with a tab).
#include <fmt/format.h>

#include "engine/image_push.h"
#include "oci/reference.h"
#include "registry/auth_config.h"
#include "registry/endpoint.h"
#include "registry/manifest_fetch.h"
#include "registry/session.h"

namespace berth::engine {

Result<RemoteManifest> inspect_remote_manifest(const std::string& reference, bool insecure) {
  auto ref = BERTH_TRY(oci::Reference::parse(reference));
  ref = ref.with_default_tag();
  auto config = BERTH_TRY(registry::load_registry_config());
  auto endpoint = registry::resolve_endpoint(ref, config);
  endpoint.insecure = endpoint.insecure || insecure;
  registry::SessionOptions opts;
  opts.credentials = BERTH_TRY(registry::credentials_for_host(endpoint.host));
  http::Client client;
  registry::Session session(client, endpoint, registry::host_tls(endpoint.host, config), opts);
  std::string tag_or_digest = ref.digest ? ref.digest->str() : ref.tag;
  auto m = registry::fetch_manifest(session, tag_or_digest, ref.familiar());
  if (!m) {
    if (m.error().code() == Code::kNotFound) {
      return fail(Code::kNotFound, fmt::format("no such manifest: {}", ref.str()));
    }
    return tl::unexpected(std::move(m.error()));
  }
  return RemoteManifest{m->media_type, std::move(m->bytes), m->digest};
}

namespace {

void indent_newline(std::string& out, int depth) {
  out.push_back('\n');
  out.append(static_cast<size_t>(depth), '\t');
}

// The index of the first character after the whitespace at i.
size_t indent_skip_space(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) {
    ++i;
  }
  return i;
}

}  // namespace

std::string indent_json_like_go(std::string_view json) {
  std::string out;
  out.reserve(json.size() * 2);
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < json.size()) {
        out.push_back(json[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        break;
      case '"':
        in_string = true;
        out.push_back(c);
        break;
      case '{':
      case '[': {
        out.push_back(c);
        size_t j = indent_skip_space(json, i + 1);
        if (j < json.size() && (json[j] == '}' || json[j] == ']')) {
          out.push_back(json[j]);  // Go keeps an empty object or array on one line
          i = j;
        } else {
          indent_newline(out, ++depth);
        }
        break;
      }
      case '}':
      case ']':
        indent_newline(out, --depth);
        out.push_back(c);
        break;
      case ',':
        out.push_back(c);
        indent_newline(out, depth);
        break;
      case ':':
        out += ": ";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace berth::engine
