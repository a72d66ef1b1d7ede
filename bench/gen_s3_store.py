#!/usr/bin/env python3
"""Generates the store bench/s3.sh uploads to a bucket: a `cache/download` tree, cheap to make.

    gen_s3_store.py OUT_DIR [SMALL_MODULES] [LARGE_ZIPS] [BIG_VERSIONS]

writes OUT_DIR/store/<module>/@v/{list,V.info,V.mod,V.zip} and the request lists s3.sh loads
(one path a line, as wrk.lua reads them):

- s3bench.example/small/mNNN: SMALL_MODULES (100) modules of two versions, zips of 8-40 KB
  (kept in memory by modgate: at most 128 KiB);
- s3bench.example/large/mNN: LARGE_ZIPS (8) modules of one version, zips of ~1.2 MB (streamed
  from the store on every request);
- s3bench.example/big: one module of BIG_VERSIONS (2,000) versions, for `@v/list` and `@latest`.

Zips hold a go.mod and Go files named `module@version/...`, deflated, as the go command writes
them; their text is random hex, so the large ones barely compress. Deterministic (fixed seed and
dates), so every run serves the same bytes.
"""

import os
import random
import shutil
import sys
import zipfile

SEED = 17  # the issue number; any fixed value keeps runs comparable
ZIP_DATE = (2023, 1, 2, 3, 4, 6)
INFO_TIME = "2023-01-02T03:04:05Z"


def write_version(store, module, version, files, paths):
    """One version's .info, .mod and .zip; appends its three request paths to `paths`."""
    vdir = os.path.join(store, module, "@v")
    os.makedirs(vdir, exist_ok=True)
    go_mod = f"module {module}\n\ngo 1.19\n"
    with open(os.path.join(vdir, f"{version}.info"), "w") as f:
        f.write(f'{{"Version":"{version}","Time":"{INFO_TIME}"}}\n')
    with open(os.path.join(vdir, f"{version}.mod"), "w") as f:
        f.write(go_mod)
    with zipfile.ZipFile(os.path.join(vdir, f"{version}.zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in [("go.mod", go_mod)] + files:
            info = zipfile.ZipInfo(f"{module}@{version}/{name}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
    with open(os.path.join(vdir, "list"), "a") as f:
        f.write(version + "\n")
    base = f"/{module}/@v/{version}"
    paths.setdefault("info-mod", []).extend([base + ".info", base + ".mod"])
    return base + ".zip"


def go_file(rng, package, size):
    """A Go file of about `size` bytes: a package clause and random hex in a comment."""
    lines = [f"package {package}\n", "/*\n"]
    while size > 0:
        lines.append(rng.getrandbits(256).to_bytes(32, "big").hex() + "\n")
        size -= 65
    lines.append("*/\n")
    return "".join(lines)


def main():
    out = sys.argv[1]
    given = [int(a) for a in sys.argv[2:5]]
    small, large, big = given + [100, 8, 2000][len(given):]
    rng = random.Random(SEED)
    store = os.path.join(out, "store")
    shutil.rmtree(store, ignore_errors=True)
    paths = {}
    for i in range(small):
        module = f"s3bench.example/small/m{i:03d}"
        for version in ("v1.0.0", "v1.1.0"):
            size = rng.randrange(16 << 10, 80 << 10)  # text; deflated to about half
            z = write_version(store, module, version, [("a.go", go_file(rng, "a", size))], paths)
            paths.setdefault("zip-small", []).append(z)
    for i in range(large):
        module = f"s3bench.example/large/m{i:02d}"
        files = [(f"f{j}.go", go_file(rng, "l", 256 << 10)) for j in range(9)]
        z = write_version(store, module, "v1.0.0", files, paths)
        paths.setdefault("zip-large", []).append(z)
    module = "s3bench.example/big"
    for i in range(big):
        write_version(store, module, f"v1.{i // 100}.{i % 100}", [("b.go", "package b\n")], {})
    paths["list"] = [f"/{module}/@v/list"]
    paths["latest"] = [f"/{module}/@latest"]
    for name, lines in paths.items():
        with open(os.path.join(out, f"paths-{name}.txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
    print(f"{small * 2} small versions, {large} large zips, {big} versions of {module}")


if __name__ == "__main__":
    main()
