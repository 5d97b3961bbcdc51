#!/usr/bin/env bash
# Builds the browser demo: ffgpu's library for wasm32 and its JS glue in
# web/pkg/ (git-ignored). Installs what is missing: the wasm32 target and
# wasm-bindgen-cli 0.2.130 (the version Cargo.toml pins; ~7 minutes once).
# No wasm-opt: Debian's binaryen breaks the module in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  # without --locked: its lock file pins a crate version the registry lacks
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

cargo build --lib --release --target wasm32-unknown-unknown
wasm-bindgen --target web --out-dir web/pkg \
  target/wasm32-unknown-unknown/release/ffgpu.wasm
echo "built web/pkg ($(du -h web/pkg/ffgpu_bg.wasm | cut -f1) of wasm); serve with: python3 web/serve.py"
