#!/usr/bin/env bash
# Sets up a machine for camanim: system packages (SwiftShader's Vulkan driver through chromium,
# the ONNX backend test data, ffmpeg for MP4/WebM, DejaVu fonts for frame labels), Node.js 20+
# when missing or older, pnpm, dependencies.
#
# Supported: Debian 12 (bookworm) and later, amd64 or arm64, as root or with sudo. The package
# names are Debian's: Ubuntu has no chromium apt package (a snap, without the SwiftShader
# driver at a fixed path) and no libonnx-testdata. Elsewhere this installs Node, pnpm and the
# dependencies only, and says which system pieces are left to you.
#
# Node: Debian's nodejs is 18. When node is missing or older than 20 we take Debian's nodejs
# and npm, then the node-linux-<arch>@20 package from the npm registry (the official binary,
# which npm links as <npm prefix>/bin/node, /usr/local/bin on Debian, ahead of /usr/bin on
# PATH). That package has no install script, unlike the `node` package, whose preinstall runs
# a nested npm install that newer npm versions refuse.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ID="" VERSION_ID="" PRETTY_NAME="an unknown system"
[ -r /etc/os-release ] && . /etc/os-release
debian=""
if [ "$ID" = debian ] && [ "${VERSION_ID%%.*}" -ge 12 ] 2>/dev/null; then debian=1; fi

if [ -n "$debian" ]; then
  export DEBIAN_FRONTEND=noninteractive
  pkgs="chromium libvulkan1 libonnx-testdata ffmpeg fonts-dejavu-core ca-certificates redis-server"
  if [ "$(node_major)" -lt 20 ] || ! command -v npm >/dev/null; then pkgs="$pkgs nodejs npm"; fi
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq $pkgs >/dev/null
else
  echo "setup: $PRETTY_NAME is not supported (Debian 12+ is): installing Node, pnpm and the dependencies only." >&2
  echo "setup: for the CPU fallback install a SwiftShader Vulkan ICD and the Vulkan loader; ffmpeg for --format mp4,webm." >&2
  command -v npm >/dev/null || { echo "setup: no npm: install Node.js 20+ first" >&2; exit 1; }
fi

if [ "$(node_major)" -lt 20 ]; then
  arch="$(node -p process.arch)"
  echo "setup: node $(node --version) is older than 20: installing node-linux-$arch@20 from the npm registry" >&2
  $SUDO npm i -g --no-audit --no-fund --loglevel=error "node-linux-$arch@20" >/dev/null
  hash -r
  if [ "$(node_major)" -lt 20 ]; then
    echo "setup: $(command -v node) is still $(node --version): put $(npm prefix -g)/bin first on PATH" >&2
    exit 1
  fi
fi

if [ -n "$debian" ]; then
  # Where the installed packages put SwiftShader's ICD (Debian: chromium-common); core looks in
  # Debian's and Chrome's places.
  icd="$(dpkg -S vk_swiftshader_icd.json 2>/dev/null | sed -n '1s/^[^:]*: //p' || true)"
  case "$icd" in
    /usr/lib/chromium/*|/usr/lib/chromium-browser/*|/opt/google/chrome/*|/usr/share/vulkan/icd.d/*) ;;
    "") echo "setup: no installed package ships vk_swiftshader_icd.json: without a GPU, camanim will find no adapter" >&2 ;;
    *) echo "setup: SwiftShader's ICD is at $icd, where camanim does not look: run with VK_ICD_FILENAMES=$icd" >&2 ;;
  esac
fi

if [ "$(pnpm --version 2>/dev/null)" != "12.4.2" ]; then
  $SUDO npm i -g --no-audit --no-fund pnpm@12.4.2 >/dev/null
  hash -r
fi
# better-sqlite3 (camanim eval's store) builds from source when its prebuilt binary (GitHub) is
# out of reach: with the installed Node's headers, node-gyp downloads nothing.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
if [ "${CI:-}" = "true" ]; then pnpm install --frozen-lockfile; else pnpm install; fi
