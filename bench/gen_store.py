#!/usr/bin/env python3
"""Generates the benchmark's module store: a `cache/download` tree served by every server.

    gen_store.py OUT_DIR

writes OUT_DIR/store/<escaped module>/@v/{list,V.info,V.mod,V.zip} and, beside it, the request
lists the load scenarios use (paths-small.txt, paths-404.txt, go-download.txt) and meta.json
(the zip paths and sizes picked for scenarios b and c).

The content is real Go source from Debian's golang-*-dev packages (/usr/share/gocode/src):
- every source package there becomes a module of its own path, in two versions;
- ~70 synthetic modules (a quarter with uppercase paths, escaped `!x` on disk) of four versions
  each get a small zip of a few real files;
- a ~64 KB zip, a ~13 MB zip and 10/20/30 MB zips are filled with real files up to their size.

Zips hold files only, named `module@version/...`, deflated, as the go command writes them.
The output is deterministic (fixed seed and timestamps), so every run serves the same bytes.
"""

import json
import os
import random
import re
import shutil
import sys
import zipfile

GOCODE = "/usr/share/gocode/src"
SEED = 6  # the issue number; any fixed value keeps runs comparable
ZIP_DATE = (2023, 1, 2, 3, 4, 6)
KB = 1024
MB = 1024 * 1024

# Path elements the go command accepts in module zips (x/mod's checkElem, minus the corners we
# never need: `~`, Windows reserved names, leading dots).
SAFE_ELEM = re.compile(r"^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$")
WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(10)}


def escape(path: str) -> str:
    """Go's case-encoding: every uppercase letter becomes `!` and its lowercase."""
    return "".join("!" + c.lower() if c.isupper() else c for c in path)


def safe_rel(rel: str) -> bool:
    for elem in rel.split("/"):
        if not SAFE_ELEM.match(elem) or elem.endswith("."):
            return False
        if elem.split(".")[0].lower() in WINDOWS_RESERVED:
            return False
    return True


def go_files(root: str):
    """Real .go files under root (relative paths), skipping symlinks and nested modules."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        # Nested modules (a go.mod below the root) belong to another module, as in a real zip.
        dirnames[:] = [
            d for d in dirnames
            if not os.path.islink(os.path.join(dirpath, d))
            and not os.path.exists(os.path.join(dirpath, d, "go.mod"))
        ]
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            if name.endswith(".go") and not os.path.islink(full):
                rel = os.path.relpath(full, root)
                if safe_rel(rel):
                    found.append(rel)
    return found


def source_modules():
    """(module path, source dir) for every source package Debian installed under GOCODE."""
    mods = []
    for host in sorted(os.listdir(GOCODE)):
        hostdir = os.path.join(GOCODE, host)
        if os.path.islink(hostdir) or not os.path.isdir(hostdir):
            continue
        depth = 1 if host == "gopkg.in" else 2  # gopkg.in/yaml.v3, github.com/owner/repo
        candidates = [hostdir]
        for _ in range(depth):
            candidates = [
                os.path.join(c, d) for c in candidates for d in sorted(os.listdir(c))
                if os.path.isdir(os.path.join(c, d)) and not os.path.islink(os.path.join(c, d))
            ]
        for src in candidates:
            path = os.path.relpath(src, GOCODE)
            if re.search(r"[^A-Za-z0-9._/-]", path) or not go_files(src):
                continue
            mods.append((path, src))
    return mods


def major_of(module: str) -> int:
    m = re.search(r"(?:/v|\.v)(\d+)$", module)
    return int(m.group(1)) if m else (0 if module.startswith("golang.org/x/") else 1)


class Store:
    def __init__(self, root: str):
        self.root = root
        self.versions = {}  # module -> [versions]
        self.sizes = {}  # (module, version) -> zip size

    def vdir(self, module: str) -> str:
        d = os.path.join(self.root, escape(module), "@v")
        os.makedirs(d, exist_ok=True)
        return d

    def add(self, module, version, files, target=None):
        """files: iterable of (name inside the module, source file). With target, stops adding
        files once the zip reaches that many bytes."""
        d = self.vdir(module)
        ev = escape(version)
        go_mod = f"module {module}\n\ngo 1.19\n".encode()
        prefix = f"{module}@{version}/"
        zpath = os.path.join(d, ev + ".zip")
        seen = {"go.mod"}
        directory = [22]  # the central directory written at close: 46 bytes + name per file
        with open(zpath, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as z:
            def put(name, data):
                info = zipfile.ZipInfo(prefix + name, ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, data)
                directory.append(46 + len(info.filename))

            put("go.mod", go_mod)
            for name, src in files:
                if name.lower() in seen:  # the go command rejects case-fold collisions
                    continue
                seen.add(name.lower())
                with open(src, "rb") as f:
                    put(name, f.read())
                if target is not None and raw.tell() + sum(directory) >= target:
                    break
        with open(os.path.join(d, ev + ".mod"), "wb") as f:
            f.write(go_mod)
        n = len(self.versions.get(module, []))
        info = {"Version": version, "Time": f"2023-0{1 + n % 9}-1{n % 10}T10:00:00Z"}
        with open(os.path.join(d, ev + ".info"), "w") as f:
            json.dump(info, f)
        self.versions.setdefault(module, []).append(version)
        self.sizes[(module, version)] = os.path.getsize(zpath)

    def write_lists(self):
        for module, versions in self.versions.items():
            with open(os.path.join(self.vdir(module), "list"), "w") as f:
                f.write("".join(v + "\n" for v in versions))


def filled(pool, rng, max_file=None):
    """An endless stream of (name, source) from the pool, in a shuffled order; each pass over
    the pool goes under a new directory so names stay unique."""
    files = [p for p in pool if max_file is None or os.path.getsize(p) <= max_file]
    n = 0
    while True:
        order = files[:]
        rng.shuffle(order)
        for src in order:
            yield f"c{n}/{os.path.relpath(src, GOCODE)}", src
        n += 1


def main():
    out = sys.argv[1]
    store_dir = os.path.join(out, "store")
    if os.path.exists(store_dir):
        shutil.rmtree(store_dir)
    rng = random.Random(SEED)
    store = Store(store_dir)

    modules = source_modules()
    pool = sorted({os.path.join(src, rel) for _, src in modules for rel in go_files(src)})
    if len(modules) < 5 or len(pool) < 500:
        sys.exit(f"gen_store: too few Go sources under {GOCODE}: install golang-*-dev packages")

    # Real modules from Debian's source packages, two versions each.
    for module, src in modules:
        files = [(rel, os.path.join(src, rel)) for rel in go_files(src)]
        major = major_of(module)
        for minor in (1, 2):
            store.add(module, f"v{major}.{minor}.0", files)

    # Synthetic private modules: a few real files each; every fourth path has capitals.
    small_pool = [p for p in pool if os.path.getsize(p) <= 24 * KB]
    teams = ["payments", "search", "infra", "identity", "billing", "ml", "mobile"]
    for i in range(70):
        if i % 4 == 0:
            module = f"corp.example/Platform/Service{i}"
        elif i % 4 == 1:
            module = f"github.com/Corp-Internal/lib{i}"
        else:
            module = f"corp.example/{teams[i % len(teams)]}/svc{i}"
        for version in ("v1.0.0", "v1.1.0", "v1.2.0-RC1", "v1.2.0"):
            picked = rng.sample(small_pool, rng.randint(2, 10))
            files = [(f"pkg{j}/{os.path.basename(p)}", p) for j, p in enumerate(picked)]
            store.add(module, version, files)

    # Zips of set sizes for the large-file scenarios.
    sized = {
        "zip64k": ("corp.example/bench/zip64k", 64 * KB, 8 * KB),
        "zip13m": ("corp.example/bench/zip13m", 13 * MB, None),
        "large10": ("corp.example/bench/Large10", 10 * MB, None),
        "large20": ("corp.example/bench/Large20", 20 * MB, None),
        "large30": ("corp.example/bench/Large30", 30 * MB, None),
    }
    meta = {}
    for key, (module, target, max_file) in sized.items():
        store.add(module, "v1.0.0", filled(pool, rng, max_file), target=target)
        meta[key] = {
            "module": module,
            "path": f"/{escape(module)}/@v/v1.0.0.zip",
            "size": store.sizes[(module, "v1.0.0")],
        }
    store.write_lists()

    # Scenario (a): every .info and .mod in the store, round robin.
    small = [
        f"/{escape(m)}/@v/{escape(v)}.{ext}"
        for m, vs in sorted(store.versions.items()) for v in vs for ext in ("info", "mod")
    ]
    rng.shuffle(small)
    # Scenario (d): modules nobody holds, some with capitals.
    missing = [
        f"/{escape(f'corp.example/Unknown{i}/mod' if i % 3 == 0 else f'corp.example/unknown/m{i}')}"
        f"/@v/v1.{i % 7}.0.{('info', 'mod', 'zip')[i % 3]}"
        for i in range(500)
    ]
    # Scenario (g): 30 modules for `go mod download`, like a service's dependencies: the 20
    # largest real modules under 2 MiB (x/crypto, x/net, x/sys, x/tools, cobra, ...) and 10
    # private ones.
    real = sorted(((store.sizes[(m, store.versions[m][-1])], m) for m, _ in modules), reverse=True)
    chosen = [m for size, m in real if size < 2 * MB][:20]
    synthetic = sorted(m for m in store.versions if m.startswith(("corp.example/", "github.com/Corp-"))
                       and not m.startswith("corp.example/bench/"))
    chosen += rng.sample(synthetic, 30 - len(chosen))
    downloads = [f"{m}@{store.versions[m][-1]}" for m in chosen]

    for name, lines in (("paths-small.txt", small), ("paths-404.txt", missing),
                        ("go-download.txt", downloads)):
        with open(os.path.join(out, name), "w") as f:
            f.write("".join(line + "\n" for line in lines))
    meta["versions"] = sum(len(v) for v in store.versions.values())
    meta["modules"] = len(store.versions)
    meta["uppercase_modules"] = sum(1 for m in store.versions if m != m.lower())
    meta["zip_bytes"] = sum(store.sizes.values())
    meta["download_bytes"] = sum(store.sizes[tuple(d.split("@"))] for d in downloads)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(
        f"store: {meta['modules']} modules ({meta['uppercase_modules']} with capitals), "
        f"{meta['versions']} versions, {meta['zip_bytes'] / MB:.0f} MiB of zips; "
        + ", ".join(f"{k} {meta[k]['size'] / KB:.0f} KiB" for k in sized)
    )


if __name__ == "__main__":
    main()
