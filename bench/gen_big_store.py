#!/usr/bin/env python3
"""Generates a company-sized module store: a `cache/download` tree as modgate's writer leaves it.

    gen_big_store.py OUT_DIR [VERSIONS [MODULES]]

writes OUT_DIR/store/<escaped module>/@v/{list,V.info,V.mod,V.zip,V.ziphash} for VERSIONS versions
(100,000) across MODULES modules (10,000), one of which (corp.example/platform/monorepo) has
2,000 versions, and beside it meta.json and the request lists bigstore.sh uses
(paths-small.txt: .info/.mod of versions spread over the whole store; paths-list.txt: the big
module's @v/list).

Every zip is a valid module zip (files named `module@version/...`, deflated, a go.mod) and its
`.ziphash` is its `h1:` (the dirhash the go command computes), so `modgate verify` and
`modgate import` check every version as they would a real one. File sizes follow what a company's
store holds: most zips of a few KiB to a few tens of KiB, a tail to ~400 KiB; Go-like text that
compresses as source does. The content is generated, not real source: the point is the count
and the sizes. Deterministic (each module seeded by its index), and made by one worker per CPU.
"""

import base64
import hashlib
import json
import os
import random
import shutil
import sys
import zipfile
from multiprocessing import Pool

ZIP_DATE = (2023, 1, 2, 3, 4, 6)
BIG_MODULE = "corp.example/platform/monorepo"
BIG_VERSIONS = 2000
WORDS = (
    "func return if else for range struct interface type package import var const err nil "
    "string int64 byte context ctx map chan go defer select case switch default break "
    "Request Response Client Server Handler Config Options New Get Put Delete List Close "
    "fmt.Errorf errors.Is strings.Builder bytes.Buffer io.Reader http.Handler json.Marshal"
).split()


def escape(path: str) -> str:
    """Go's case-encoding: every uppercase letter becomes `!` and its lowercase."""
    return "".join("!" + c.lower() if c.isupper() else c for c in path)


def text_pool(seed: int, size: int) -> bytes:
    """Go-looking lines, compressing about as source does (3-4x)."""
    rng = random.Random(seed)
    lines = []
    total = 0
    while total < size:
        indent = "\t" * rng.randint(0, 3)
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9)))
        line = f"{indent}{words} // {rng.getrandbits(32):08x}\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()


POOL = text_pool(17, 1 << 20)


def zip_size(rng: random.Random) -> int:
    """Uncompressed bytes of a version's sources: log-normal, median ~24 KiB, at most ~1.5 MiB."""
    return min(int(rng.lognormvariate(10.1, 1.1)), 3 << 19)


def module_name(i: int) -> str:
    teams = ["payments", "search", "infra", "identity", "billing", "ml", "mobile", "data"]
    if i % 5 == 0:
        return f"github.com/Corp-Internal/Lib{i}"
    return f"corp.example/{teams[i % len(teams)]}/svc{i}"


def version_names(count: int, rng: random.Random):
    """`count` distinct canonical versions, in publishing order; now and then a pre-release."""
    out = []
    major_minor = 0
    patch = 0
    while len(out) < count:
        if rng.random() < 0.04 and len(out) + 1 < count:
            out.append(f"v1.{major_minor}.{patch}-rc.1")
        out.append(f"v1.{major_minor}.{patch}")
        patch += 1
        if rng.random() < 0.15:
            major_minor += 1
            patch = 0
    return out[:count]


def h1(files) -> str:
    """The go command's dirhash Hash1 over (name, bytes)."""
    summary = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files)
    )
    return "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()


def write_version(d: str, module: str, version: str, n: int, rng: random.Random) -> int:
    ev = escape(version)
    go_mod = f"module {module}\n\ngo 1.21\n".encode()
    prefix = f"{module}@{version}/"
    files = [(prefix + "go.mod", go_mod)]
    remaining = zip_size(rng)
    k = 0
    while remaining > 0:
        size = min(remaining, rng.randint(2_000, 40_000))
        start = rng.randrange(0, len(POOL) - size)
        body = b"package p%d\n\n" % k + POOL[start : start + size]
        files.append((f"{prefix}pkg{k % 7}/file{k}.go", body))
        remaining -= size
        k += 1
    zpath = os.path.join(d, ev + ".zip")
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    with open(os.path.join(d, ev + ".mod"), "wb") as f:
        f.write(go_mod)
    with open(os.path.join(d, ev + ".ziphash"), "w") as f:
        f.write(h1(files) + "\n")
    day = 1 + n % 28
    with open(os.path.join(d, ev + ".info"), "w") as f:
        json.dump({"Version": version, "Time": f"2023-{1 + n // 28 % 12:02}-{day:02}T10:00:00Z"}, f)
    return os.path.getsize(zpath)


def write_module(job):
    root, index, module, count = job
    rng = random.Random(index)
    d = os.path.join(root, escape(module), "@v")
    os.makedirs(d, exist_ok=True)
    versions = version_names(count, rng)
    size = sum(write_version(d, module, v, n, rng) for n, v in enumerate(versions))
    tagged = sorted(versions, key=semver_key)
    with open(os.path.join(d, "list"), "w") as f:
        f.write("".join(v + "\n" for v in tagged))
    return module, versions, size


def semver_key(v: str):
    core, _, pre = v[1:].partition("-")
    return tuple(int(x) for x in core.split(".")) + ((1,) if not pre else (0, pre))


def main():
    out = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    modules = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    root = os.path.join(out, "store")
    if os.path.exists(root):
        shutil.rmtree(root)
    os.makedirs(root)
    # The big module, then the rest spread unevenly (1 to ~2x the mean) over the others.
    rng = random.Random(17)
    big = min(BIG_VERSIONS, total // 2)
    rest = total - big
    weights = [rng.uniform(0.1, 1.9) for _ in range(modules - 1)]
    scale = rest / sum(weights)
    counts = [max(1, int(w * scale)) for w in weights]
    counts[-1] += rest - sum(counts)  # exact total
    jobs = [(root, 0, BIG_MODULE, big)] + [
        (root, i, module_name(i), c) for i, c in enumerate(counts, start=1)
    ]
    done = []
    with Pool(os.cpu_count()) as pool:
        for k, result in enumerate(pool.imap_unordered(write_module, jobs, chunksize=16)):
            done.append(result)
            if k % 1000 == 0:
                print(f"gen_big_store: {k}/{len(jobs)} modules", file=sys.stderr, flush=True)
    done.sort()
    versions = sum(len(vs) for _, vs, _ in done)
    zip_bytes = sum(size for _, _, size in done)
    # .info and .mod of versions across the whole store, so every request is a different one.
    pick = random.Random(6)
    small = [
        f"/{escape(m)}/@v/{escape(v)}.{ext}"
        for m, vs, _ in done for v in vs if pick.random() < 0.05 for ext in ("info", "mod")
    ]
    pick.shuffle(small)
    with open(os.path.join(out, "paths-small.txt"), "w") as f:
        f.write("".join(p + "\n" for p in small))
    with open(os.path.join(out, "paths-list.txt"), "w") as f:
        f.write(f"/{escape(BIG_MODULE)}/@v/list\n")
    meta = {
        "versions": versions,
        "modules": len(done),
        "big_module": BIG_MODULE,
        "big_module_versions": big,
        "zip_bytes": zip_bytes,
    }
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"big store: {len(done)} modules, {versions} versions, {zip_bytes / 2**20:.0f} MiB of zips")


if __name__ == "__main__":
    main()
