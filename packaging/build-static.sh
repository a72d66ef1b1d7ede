#!/bin/sh
# Builds a static modgate binary, as the Dockerfile's builder stage does, and checks it.
#
#   packaging/build-static.sh [OUT]     (default OUT: target-static/modgate)
#
# musl (x86_64-unknown-linux-musl) when its target and a musl C compiler are there; else
# glibc with crt-static. MODGATE_COMMIT names the commit when there is no .git (a container build
# context). CARGO_TARGET_DIR defaults to target-static, apart from the ordinary target/.
set -eu

cd "$(dirname "$0")/.."
out=${1:-target-static/modgate}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target-static}"
arch=$(uname -m)

# ring compiles C: the musl target needs a musl C compiler (Debian: musl-tools).
musl_cc=$(command -v "$arch-linux-musl-gcc" || command -v musl-gcc || true)
if [ -n "$musl_cc" ] && { rustup target list --installed 2>/dev/null | grep -qx "$arch-unknown-linux-musl" \
        || rustup target add "$arch-unknown-linux-musl" >/dev/null 2>&1; }; then
    target="$arch-unknown-linux-musl"
    export "CC_${arch}_unknown_linux_musl=$musl_cc"
else
    # glibc, linked statically (getaddrinfo's NSS modules are then not loaded: names resolve
    # from /etc/hosts and DNS only, which is all modgate needs).
    target="$arch-unknown-linux-gnu"
fi
export RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static"

echo "building modgate for $target" >&2
cargo build --locked --release -p modgate --target "$target"

bin="$CARGO_TARGET_DIR/$target/release/modgate"
mkdir -p "$(dirname "$out")"
cp "$bin" "$out"
strip "$out" 2>/dev/null || true

# Static: no interpreter, nothing for the dynamic loader to find.
if file "$out" | grep -q "dynamically linked"; then
    echo "$out is dynamically linked:" >&2
    file "$out" >&2
    exit 1
fi
"$out" --version
echo "built $out ($(wc -c < "$out") bytes)" >&2
