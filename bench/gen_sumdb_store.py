#!/usr/bin/env python3
"""The store of bench/sumdb.sh: many small versions, for the private checksum database to log.

    gen_sumdb_store.py OUT_DIR VERSIONS [BASE_DIR]

writes OUT_DIR/store (a cache/download tree, as bench/gen_store.py writes one: .info, .mod, a
valid zip and the module's list) holding VERSIONS small versions: modules of ten versions each
under corp.example/sumbench/ (every fourth path with capitals, escaped `!x` on disk), each zip a
go.mod and one Go file of ~1 KB. With BASE_DIR, a store bench/gen_store.py made (BASE_DIR/store
and its go-download.txt), the 30 versions of run.sh's `go mod download` scenario are copied into
a tree of their own, OUT_DIR/download (to be added to the store once the small versions' log is
timed), and listed in OUT_DIR/go-download.txt.

OUT_DIR/stages.txt says how to build a store whose log holds the downloaded versions spread
through it, as versions published over time would be: stage k (one a downloaded version) adds
its share of the small modules and the k-th downloaded version, then a sync logs them. Each line:
stage, tree (store or download), a module's directory in that tree.

Writes OUT_DIR/sumdb-meta.json: the counts, and every small version (module@version) in order.
Deterministic: every run writes the same bytes.
"""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_store import Store, escape  # noqa: E402  (the zips, .info and .mod as run.sh's store has them)

PER_MODULE = 10
TEAMS = ["payments", "search", "infra", "identity", "billing", "ml", "mobile", "web"]


def small_module(i: int) -> str:
    team = TEAMS[i % len(TEAMS)]
    return f"corp.example/sumbench/{team}/Lib{i}" if i % 4 == 0 else f"corp.example/sumbench/{team}/lib{i}"


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    base = sys.argv[3] if len(sys.argv) > 3 else None
    store_dir, download_dir = os.path.join(out, "store"), os.path.join(out, "download")
    for d in (store_dir, download_dir):
        if os.path.exists(d):
            shutil.rmtree(d)
    os.makedirs(out, exist_ok=True)
    # One small Go file, in every zip under its own package name's directory.
    source = os.path.join(out, "sumbench.go")
    with open(source, "w") as f:
        f.write("// Package sumbench is a small module of the checksum database benchmark.\n"
                "package sumbench\n\n"
                + "".join(f"// Line {i}: a comment the size of a small real file.\n" for i in range(20)))
    store = Store(store_dir)
    versions = []
    for n in range(count):
        module = small_module(n // PER_MODULE)
        version = f"v1.{n % PER_MODULE}.0"
        store.add(module, version, [("sumbench.go", source)])
        versions.append(f"{module}@{version}")
    store.write_lists()

    downloads = []
    if base:
        # The versions run.sh downloads: their files as gen_store.py wrote them, and the list.
        for line in open(os.path.join(base, "go-download.txt")):
            module, version = line.strip().split("@")
            src = os.path.join(base, "store", escape(module), "@v")
            dst = os.path.join(download_dir, escape(module), "@v")
            os.makedirs(dst, exist_ok=True)
            for ext in ("info", "mod", "zip"):
                shutil.copyfile(os.path.join(src, f"{escape(version)}.{ext}"),
                                os.path.join(dst, f"{escape(version)}.{ext}"))
            with open(os.path.join(dst, "list"), "a") as f:
                f.write(version + "\n")
            downloads.append(f"{module}@{version}")
    with open(os.path.join(out, "go-download.txt"), "w") as f:
        f.write("".join(d + "\n" for d in downloads))
    small_dirs = [escape(m) for m in store.versions]
    stages = max(1, len(downloads))
    with open(os.path.join(out, "stages.txt"), "w") as f:
        for i, d in enumerate(small_dirs):
            f.write(f"{i * stages // len(small_dirs)}\tstore\t{d}\n")
        for k, d in enumerate(downloads):
            f.write(f"{k}\tdownload\t{escape(d.split('@')[0])}\n")
    meta = {
        "small_versions": count,
        "small_modules": len(store.versions),
        "small_zip_bytes": sum(store.sizes.values()),
        "download_versions": len(downloads),
        "download_zip_bytes": sum(
            os.path.getsize(os.path.join(download_dir, escape(m), "@v", f"{escape(v)}.zip"))
            for m, v in (d.split("@") for d in downloads)),
        "versions": versions,
    }
    with open(os.path.join(out, "sumdb-meta.json"), "w") as f:
        json.dump(meta, f)
    print(f"sumdb store: {count} small versions of {meta['small_modules']} modules "
          f"({meta['small_zip_bytes'] / count:.0f} bytes a zip), "
          f"and {len(downloads)} versions to download ({meta['download_zip_bytes'] / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
