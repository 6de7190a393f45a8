#!/bin/bash
# `pnpm bench` on the GPU machine (the device tool), which has no Node, no pnpm and no network.
#
#   bash tools/device-bench.sh prepare      # here: fills .gpu/ and .gl/ (both git-ignored locally)
#   bash tools/device-bench.sh run [ARGS]   # there, from the repo root: ARGS go to test/bench/run.ts
#
# prepare: the bench bundled into one ESM file by esbuild (.gpu/bench/lib/run.mjs, three folders
# down so test/bench/lib/env.ts still finds the repo root), Node and Dawn's binary xz-compressed,
# the full-width bench models without their weights (tools/onnx_weights.py strip: 100 MB →
# 100 kB), and the Vulkan loader packages the device README names. run: unpacks them, gives the
# models seeded random weights, and runs the bench on the GPU with PyTorch's rows on CUDA.
# Carry `.gpu` and `.gl`; the output is markdown on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

prepare() {
  mkdir -p .git/info && touch .git/info/exclude
  grep -qx '/.gpu/' .git/info/exclude || echo '/.gpu/' >>.git/info/exclude
  grep -qx '/.gl/' .git/info/exclude || echo '/.gl/' >>.git/info/exclude
  rm -rf .gpu && mkdir -p .gpu/bench/lib .gpu/models .gpu/node_modules/webgpu/dist/linux-x64
  local webgpu
  webgpu=$(node -e "console.log(require('path').dirname(require.resolve('webgpu/package.json', { paths: ['packages/core'] })))")
  cp "$webgpu"/package.json "$webgpu"/index.js .gpu/node_modules/webgpu/
  # stripped and compressed: the working tree that travels is capped at 64 MiB
  local tmp
  tmp=$(mktemp -d)
  cp "$webgpu/dist/linux-x64/dawn.node" "$(command -v node)" "$tmp/"
  strip "$tmp/dawn.node" "$tmp/node"
  xz -6 -T2 -c "$tmp/dawn.node" >.gpu/node_modules/webgpu/dist/linux-x64/dawn.node.xz
  xz -6 -T2 -c "$tmp/node" >.gpu/node.xz
  rm -rf "$tmp"
  local esbuild
  esbuild=$(node -e "console.log(require.resolve('esbuild/bin/esbuild', { paths: ['node_modules/.pnpm/node_modules'] }))")
  "$esbuild" test/bench/run.ts --bundle --platform=node --format=esm --target=node20 \
    --external:webgpu --external:onnxruntime-node --external:playwright-core --external:sharp --log-level=warning \
    --banner:js="import { createRequire as bannerRequire } from 'node:module'; const require = bannerRequire(import.meta.url);" \
    --outfile=.gpu/bench/lib/run.mjs
  # The browser rows need Chromium, which that machine lacks (--no-browser), and the eval section
  # needs sharp's native binary (eval is not run there): stand-in modules satisfy the bundle's
  # static imports of playwright-core and sharp.
  stub() {
    mkdir -p ".gpu/node_modules/$1"
    echo "{\"name\":\"$1\",\"type\":\"module\",\"main\":\"index.js\"}" >".gpu/node_modules/$1/package.json"
    echo "$2" >".gpu/node_modules/$1/index.js"
  }
  stub playwright-core 'export const chromium = undefined;'
  stub sharp "export default function sharp() { throw new Error('sharp is not on this machine'); }"
  for m in resnet18 resnet50; do
    [ -f "bench-models/$m.onnx" ] || /usr/bin/python3 tools/export_models.py --full "$m" --out bench-models
    /usr/bin/python3 tools/onnx_weights.py strip "bench-models/$m.onnx" ".gpu/models/$m.skel.onnx"
  done
  if [ ! -d .gl ]; then
    mkdir -p .gl /tmp/amd64/partial
    local o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
    apt-get $o update -qq
    (cd .gl && apt-get $o download libvulkan1)  # Dawn needs only the Vulkan loader
  fi
  du -sh .gpu .gl
}

run() {
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  [ -f "$icd" ] && export VK_DRIVER_FILES=$icd VK_ICD_FILENAMES=$icd
  xz -dkf .gpu/node.xz && chmod +x .gpu/node
  xz -dkf .gpu/node_modules/webgpu/dist/linux-x64/dawn.node.xz
  mkdir -p bench-models
  for m in resnet18 resnet50; do python3 tools/onnx_weights.py fill ".gpu/models/$m.skel.onnx" "bench-models/$m.onnx"; done
  nvidia-smi --query-gpu=name,driver_version,clocks.sm --format=csv,noheader >&2 || true
  CAMANIM_BENCH_PYTHON=$(command -v python3) CAMANIM_BENCH_TORCH_DEVICE=cuda .gpu/node .gpu/bench/lib/run.mjs "$@"
}

case "${1:-}" in
  prepare) prepare ;;
  run) shift; run "$@" ;;
  *) echo "usage: bash tools/device-bench.sh prepare | run [bench args]" >&2; exit 2 ;;
esac
