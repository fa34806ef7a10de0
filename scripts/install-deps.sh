#!/usr/bin/env bash
# Installs every Debian bookworm package needed to build, test and benchmark berth.
# Idempotent: when every package is already installed it makes no apt call at all (< 1 s).
# Otherwise (as root) it runs `apt-get update` only if the package lists are missing or older
# than an hour (or if an install from the old lists fails), then one `apt-get install`.
# apt's output goes to a log file; the script prints one summary line, or the log's tail and a
# non-zero exit status on failure.
#   BERTH_DEPS_LOG   log file (default /tmp/berth-install-deps.log)
set -euo pipefail

packages=(
  # build
  build-essential g++ cmake ninja-build pkg-config git
  clang-format clang-format-14 clang-tidy clang-tidy-14
  # clang 14 builds the libFuzzer targets (tests/fuzz); its runtime holds libFuzzer and sanitizers
  clang-14 libclang-rt-14-dev
  # libraries
  libarchive-dev libcurl4-openssl-dev libssl-dev libzstd-dev zlib1g-dev libyaml-cpp-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev libexpected-dev libseccomp-dev libcap-dev
  libnftables-dev nftables
  libgtest-dev libgmock-dev libbenchmark-dev
  # test and benchmark tools
  skopeo umoci busybox-static debootstrap hyperfine python3 ca-certificates docker-registry curl openssl
  crun runc
  apache2-utils
)

log=${BERTH_DEPS_LOG:-/tmp/berth-install-deps.log}

# Prints the packages of "$@" that are not fully installed.
missing_packages() {
  local installed
  # Unknown packages make dpkg-query exit 1 and say so on stderr: they count as missing.
  installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
    awk '$1 == "ii" { print $2 }' || true)
  local p
  for p in "$@"; do
    grep -qxF -- "$p" <<<"$installed" || printf '%s\n' "$p"
  done
}

mapfile -t missing < <(missing_packages "${packages[@]}")
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root to install: ${missing[*]}" >&2
  exit 1
fi

fail() {
  echo "install-deps: $1; last lines of $log:" >&2
  tail -n 25 "$log" >&2
  exit 1
}

# The lists are fresh when apt renamed a file into the lists directory, or a Release file got a
# modification time, less than an hour ago. Both err on the old side (apt dates a file by the
# mirror's Last-Modified), and a failed install from old lists updates them and retries anyway.
lists_are_fresh() {
  [ -n "$(find /var/lib/apt/lists -maxdepth 1 \( -path /var/lib/apt/lists -o \
    -name '*InRelease' -o -name '*_Release' \) -mmin -60 -print -quit 2>/dev/null)" ]
}

export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o Dpkg::Use-Pty=0 -o APT::Color=0 -o Dpkg::Options::=--force-confold)
: >"$log"
updated=0
apt_update() {
  echo "+ apt-get update" >>"$log"
  apt-get "${apt_opts[@]}" update >>"$log" 2>&1 || fail "apt-get update failed"
  updated=1
}
apt_install() {
  echo "+ apt-get install ${missing[*]}" >>"$log"
  apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1
}

start=$SECONDS
lists_are_fresh || apt_update
if ! apt_install; then
  # Lists that were fresh enough to skip the update may still name files the mirror dropped.
  if [ "$updated" -eq 1 ]; then
    fail "apt-get install failed"
  fi
  apt_update
  apt_install || fail "apt-get install failed"
fi

mapfile -t still < <(missing_packages "${missing[@]}")
[ "${#still[@]}" -eq 0 ] || fail "still not installed: ${still[*]}"
echo "install-deps: installed ${#missing[@]} packages in $((SECONDS - start)) s" \
  "(${#packages[@]} needed; log: $log)"
