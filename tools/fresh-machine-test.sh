#!/usr/bin/env bash
# On demand, not in CI: the README's first command on a truly fresh Debian 12. debootstrap
# (minbase: no node, npm, git or sudo) into a folder, this repository's HEAD cloned into it,
# then `tools/setup.sh && pnpm camanim explain` as root in a chroot, timed, with its output.
# `--test` runs the second command too (`tools/setup.sh && pnpm test`, about 10 minutes).
# Needs root and the Debian mirror and the npm registry; the folder is removed at the end
# unless KEEP=1. Usage: sudo tools/fresh-machine-test.sh [--test] [folder]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
run_tests=""
[ "${1:-}" = "--test" ] && { run_tests=1; shift; }
target="${1:-$(mktemp -d /tmp/camanim-fresh.XXXXXX)}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
t() { local t0=$SECONDS; "$@"; echo "fresh-machine: $(( SECONDS - t0 )) s for: ${*: -1}" >&2; }

command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
t debootstrap --variant=minbase bookworm "$target" "$mirror" >/dev/null
cleanup() {
  for m in dev/pts dev sys proc; do umount -l "$target/$m" 2>/dev/null || true; done
  [ "${KEEP:-}" = 1 ] || rm -rf "$target"
}
trap cleanup EXIT
mount -t proc proc "$target/proc"
mount --rbind /sys "$target/sys"
mount --rbind /dev "$target/dev"
cp /etc/resolv.conf "$target/etc/resolv.conf"
git clone -q --depth 1 "file://$repo" "$target/root/camanim"
# A network whose TLS goes through an intercepting proxy: carry this machine's extra CA over
# (Node's NODE_EXTRA_CA_CERTS, npm's and pnpm's cafile, the system store for apt's tools).
extra=()
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
  mkdir -p "$target/usr/local/share/ca-certificates"
  cp "$NODE_EXTRA_CA_CERTS" "$target/usr/local/share/ca-certificates/host-extra-ca.crt"
  echo "cafile=/usr/local/share/ca-certificates/host-extra-ca.crt" >> "$target/root/.npmrc"
  extra=(NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/host-extra-ca.crt)
fi

inside() { chroot "$target" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb "${extra[@]}" bash -c "cd /root/camanim && $1"; }
echo "fresh-machine: $(inside '. /etc/os-release; echo $PRETTY_NAME'); node: $(inside 'command -v node || echo none')" >&2
t inside 'tools/setup.sh && pnpm camanim explain'
inside 'node --version; pnpm --version; ls camanim-out/*'
[ -n "$run_tests" ] && t inside 'tools/setup.sh && pnpm test'
exit 0
