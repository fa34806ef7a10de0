#!/usr/bin/env bash
# Usage: make-busybox-rootfs.sh DIR
# Makes a busybox root filesystem in DIR (created; must be absent or empty) from Debian's
# busybox-static: bin/busybox, one relative symlink per applet (so links resolve inside a
# container's root), /etc/passwd and /etc/group with root, nobody, a user `app` (1000:1000) in a
# supplementary group `extra` (2000), an empty /etc/hosts, /tmp (1777), /root, /home/app (owned by
# app), and empty /dev, /proc, /sys. Run as root (files are owned by root, /home/app by 1000).
# Deterministic: every mtime is SOURCE_DATE_EPOCH (default 0), so two runs give identical trees.
#   BUSYBOX   the static busybox to copy (default /bin/busybox, from package busybox-static)
set -euo pipefail

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
busybox=${BUSYBOX:-/bin/busybox}
epoch=${SOURCE_DATE_EPOCH:-0}

if [ ! -x "$busybox" ]; then
  echo "$0: $busybox not found: install busybox-static (scripts/install-deps.sh)" >&2
  exit 1
fi
if file_type=$(LC_ALL=C ldd "$busybox" 2>&1) && ! grep -q 'not a dynamic executable' \
  <<<"$file_type"; then
  echo "$0: $busybox is dynamically linked; a container needs busybox-static's" >&2
  exit 1
fi
if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
  echo "$0: $dir exists and is not empty" >&2
  exit 1
fi

umask 022
mkdir -p "$dir"
cd "$dir"

mkdir -p bin sbin usr/bin usr/sbin etc root home/app tmp dev proc sys
"$busybox" --list-full | grep / | sed -e 's|/[^/]*$||' | LC_ALL=C sort -u | xargs -r mkdir -p
chmod 0700 root
chmod 1777 tmp
install -m 0755 "$busybox" bin/busybox

# One link per applet, at the path busybox itself names (bin/sh, usr/bin/env, ...), pointing
# back at bin/busybox through "../" per directory level: usr/bin/env -> ../../bin/busybox.
# perl (Essential in Debian) makes them all in one process: a fork per link made this script
# take seconds, and every container test runs it.
n=$("$busybox" --list-full | LC_ALL=C sort | perl -ne '
  chomp;
  next if $_ eq "" || $_ eq "bin/busybox" || m{^/};
  my $up = "../" x (tr{/}{/});
  unlink $_;
  symlink("${up}bin/busybox", $_) or die "symlink $_: $!\n";
  $n++;
  END { print $n + 0, "\n" }')

cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
app:x:1000:1000:app:/home/app:/bin/sh
EOF
cat >etc/group <<'EOF'
root:x:0:
nogroup:x:65534:
app:x:1000:
extra:x:2000:app
EOF
: >etc/hosts
chmod 0644 etc/passwd etc/group etc/hosts

chown -R 0:0 .
chown 1000:1000 home/app

# In any order: touching an existing entry never changes its directory's mtime.
find . -exec touch -h -d "@$epoch" {} +

echo "busybox rootfs: $dir ($n applet links)"
