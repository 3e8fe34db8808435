#!/usr/bin/env bash
# Sets up what the demo needs (once) and serves it: http://127.0.0.1:8080
# Uses the weights shipped in www/; no MNIST, no training.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_web_toolchain
cd "$ROOT"
say "building and serving the demo (first build takes ~10 minutes)"
exec trunk serve --release "$@"
