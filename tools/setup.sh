#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for camanim: system packages (SwiftShader's Vulkan
# driver through chromium, the ONNX backend test data, ffmpeg for MP4/WebM, DejaVu fonts for
# frame labels), pnpm, dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium libvulkan1 libonnx-testdata ffmpeg fonts-dejavu-core >/dev/null
fi
if [ "$(pnpm --version 2>/dev/null)" != "12.4.2" ]; then
  $SUDO npm i -g pnpm@12.4.2 >/dev/null
fi
if [ "${CI:-}" = "true" ]; then pnpm install --frozen-lockfile; else pnpm install; fi
