#include "oci/reference.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.h"

namespace berth::oci {

namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialPrefix = "library/";
constexpr size_t kNameMax = 255;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_xdigit(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// path-component: [a-z0-9]+ ( ( [._] | __ | -+ ) [a-z0-9]+ )*
bool is_path_component(std::string_view s) {
  size_t i = 0;
  auto alnum_run = [&] {
    size_t start = i;
    while (i < s.size() && is_lower_alnum(s[i])) {
      ++i;
    }
    return i > start;
  };
  if (!alnum_run()) {
    return false;
  }
  while (i < s.size()) {
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      i += (i + 1 < s.size() && s[i + 1] == '_') ? 2 : 1;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') {
        ++i;
      }
    } else {
      return false;
    }
    if (!alnum_run()) {
      return false;
    }
  }
  return true;
}

bool is_path(std::string_view s) {
  for (const auto& c : split(s, '/')) {
    if (!is_path_component(c)) {
      return false;
    }
  }
  return true;
}

// domain-component: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view c) {
  if (c.empty() || !is_alnum(c.front()) || !is_alnum(c.back())) {
    return false;
  }
  return std::all_of(c.begin(), c.end(), [](char ch) { return is_alnum(ch) || ch == '-'; });
}

// host [':' port], host being a domain name or a bracketed IPv6 address.
bool is_domain(std::string_view d) {
  std::string_view host = d;
  std::string_view port;
  if (!d.empty() && d.front() == '[') {
    auto close = d.find(']');
    if (close == std::string_view::npos || close < 2) {
      return false;
    }
    host = d.substr(0, close + 1);
    port = d.substr(close + 1);
    std::string_view inner = host.substr(1, host.size() - 2);
    if (!std::all_of(inner.begin(), inner.end(), [](char c) { return is_xdigit(c) || c == ':'; })) {
      return false;
    }
  } else {
    auto colon = d.find(':');
    host = d.substr(0, colon);
    port = colon == std::string_view::npos ? std::string_view() : d.substr(colon);
    for (const auto& c : split(host, '.')) {
      if (!is_domain_component(c)) {
        return false;
      }
    }
  }
  if (port.empty()) {
    return true;
  }
  return port.size() > 1 && port[0] == ':' && std::all_of(port.begin() + 1, port.end(), is_digit);
}

// tag: [\w][\w.-]{0,127}
bool is_tag(std::string_view t) {
  if (t.empty() || t.size() > 128 || !is_word(t[0])) {
    return false;
  }
  return std::all_of(t.begin(), t.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// digest: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ':' [0-9a-fA-F]{32,}
bool is_digest_syntax(std::string_view d) {
  auto colon = d.find(':');
  if (colon == std::string_view::npos) {
    return false;
  }
  std::string_view algo = d.substr(0, colon);
  std::string_view hex = d.substr(colon + 1);
  bool need_letter = true;
  for (char c : algo) {
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (need_letter) {
      if (!letter) {
        return false;
      }
      need_letter = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      need_letter = true;
    } else if (!is_alnum(c)) {
      return false;
    }
  }
  return !need_letter && hex.size() >= 32 && std::all_of(hex.begin(), hex.end(), is_xdigit);
}

struct Match {
  std::string domain;
  std::string path;
  std::string tag;
  std::string digest;
};

// The reference grammar on a whole string: name [':' tag] ['@' digest], name being
// [domain '/'] path. A first component that is not a valid domain may still be a path component
// (as the regular expression's optional domain group allows).
std::optional<Match> match_reference(std::string_view s) {
  Match m;
  std::string_view rest = s;
  if (auto at = s.find('@'); at != std::string_view::npos) {
    m.digest = s.substr(at + 1);
    if (!is_digest_syntax(m.digest)) {
      return std::nullopt;
    }
    rest = s.substr(0, at);
  }
  auto colon = rest.rfind(':');
  auto slash = rest.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    m.tag = rest.substr(colon + 1);
    if (!is_tag(m.tag)) {
      return std::nullopt;
    }
    rest = rest.substr(0, colon);
  }
  auto first = rest.find('/');
  if (first != std::string_view::npos && is_domain(rest.substr(0, first)) &&
      is_path(rest.substr(first + 1))) {
    m.domain = rest.substr(0, first);
    m.path = rest.substr(first + 1);
    return m;
  }
  if (is_path(rest)) {
    m.path = rest;
    return m;
  }
  return std::nullopt;
}

// distribution's splitDockerDomain: which registry a familiar name is on.
std::pair<std::string, std::string> split_docker_domain(std::string_view name) {
  std::string domain;
  std::string remainder;
  auto slash = name.find('/');
  std::string_view first = name.substr(0, slash);
  if (slash == std::string_view::npos) {
    return {std::string(kDefaultDomain), std::string(kOfficialPrefix) + std::string(name)};
  }
  if (first == "localhost" || first.find_first_of(".:") != std::string_view::npos ||
      to_lower(first) != first) {
    domain = first == kLegacyDefaultDomain ? kDefaultDomain : first;
    remainder = name.substr(slash + 1);
  } else {
    domain = kDefaultDomain;
    remainder = name;
  }
  if (domain == kDefaultDomain && remainder.find('/') == std::string::npos) {
    remainder = std::string(kOfficialPrefix) + remainder;
  }
  return {domain, remainder};
}

// go-digest's complaint about a digest that has the reference grammar's shape.
std::string digest_problem(std::string_view d) {
  auto colon = d.find(':');
  size_t want = Digest::hex_length(d.substr(0, colon));
  if (want == 0) {
    return "unsupported digest algorithm";
  }
  if (d.size() - colon - 1 != want) {
    return "invalid checksum digest length";
  }
  return "invalid checksum digest format";
}

tl::unexpected<Error> invalid(std::string message, std::string_view input) {
  return tl::unexpected<Error>(Error(Code::kInvalidArgument, std::move(message))
                                   .context(fmt::format("reference \"{}\"", input)));
}

bool is_identifier(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return is_digit(c) || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

Result<Reference> Reference::parse(std::string_view s) {
  if (is_identifier(s)) {
    return fail(Code::kInvalidArgument,
                fmt::format("invalid repository name ({}), cannot specify 64-byte hexadecimal "
                            "strings",
                            s));
  }
  auto [domain, remainder] = split_docker_domain(s);
  std::string remote = remainder.substr(0, remainder.find(':'));
  if (to_lower(remote) != remote) {
    return fail(
        Code::kInvalidArgument,
        fmt::format("invalid reference format: repository name ({}) must be lowercase", remote));
  }
  std::string full = domain + "/" + remainder;
  auto m = match_reference(full);
  if (!m) {
    std::string lower = to_lower(full);
    if (lower != full && match_reference(lower)) {
      return invalid("repository name must be lowercase", s);
    }
    return invalid("invalid reference format", s);
  }
  Reference ref{std::move(m->domain), std::move(m->path), std::move(m->tag), std::nullopt};
  if (ref.name().size() > kNameMax) {
    return invalid(fmt::format("repository name must not be more than {} characters", kNameMax), s);
  }
  if (!m->digest.empty()) {
    auto d = Digest::parse(m->digest);
    if (!d) {
      return invalid(digest_problem(m->digest), s);
    }
    ref.digest = std::move(*d);
  }
  return ref;
}

std::string Reference::name() const { return domain.empty() ? path : domain + "/" + path; }

std::string Reference::str() const {
  std::string out = name();
  if (!tag.empty()) {
    out += ":" + tag;
  }
  if (digest) {
    out += "@" + digest->str();
  }
  return out;
}

std::string Reference::familiar_name() const {
  if (domain != kDefaultDomain) {
    return name();
  }
  std::string_view p = path;
  if (p.starts_with(kOfficialPrefix) &&
      p.substr(kOfficialPrefix.size()).find('/') == std::string_view::npos) {
    p.remove_prefix(kOfficialPrefix.size());
  }
  return std::string(p);
}

std::string Reference::familiar() const {
  std::string out = familiar_name();
  if (!tag.empty()) {
    out += ":" + tag;
  }
  if (digest) {
    out += "@" + digest->str();
  }
  return out;
}

Reference Reference::with_default_tag() const {
  Reference r = *this;
  if (r.tag.empty() && !r.digest) {
    r.tag = "latest";
  }
  return r;
}

}  // namespace berth::oci
