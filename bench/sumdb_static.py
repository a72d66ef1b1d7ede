#!/usr/bin/env python3
"""The request lists of bench/sumdb.sh, and nginx's copy of what modgate's log answers.

    sumdb_static.py BASE_URL NAME WORK_DIR

From modgate's private checksum database NAME at BASE_URL: reads the signed tree head
(`latest`), writes WORK_DIR/paths-lookup.txt (a lookup of every version the log holds: the small
versions of sumdb-meta.json and those of go-download.txt, in a shuffled order) and
WORK_DIR/paths-tile.txt (every hash tile of that tree: the full ones and the partial one of each
level, as `.p/<width>`), then fetches every path once over one keep-alive connection (each must
be 200) and writes its body under WORK_DIR/static/<path>, for nginx to serve the same bytes.
Prints the tree size and what was written.
"""

import http.client
import json
import os
import random
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_store import escape  # noqa: E402

TILE_HEIGHT = 8


def tile_index(n: int) -> str:
    """x/mod's tlog tile number: the last three digits, each group above them as x<digits>/."""
    text = f"{n % 1000:03d}"
    n //= 1000
    while n > 0:
        text = f"x{n % 1000:03d}/{text}"
        n //= 1000
    return text


def tiles(size: int):
    """Every hash tile of a tree of `size` records: full tiles, then each level's partial one."""
    paths = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        entries = size >> (TILE_HEIGHT * level)
        for n in range(entries >> TILE_HEIGHT):
            paths.append(f"tile/{TILE_HEIGHT}/{level}/{tile_index(n)}")
        if entries % (1 << TILE_HEIGHT):
            n = entries >> TILE_HEIGHT
            paths.append(f"tile/{TILE_HEIGHT}/{level}/{tile_index(n)}.p/{entries % (1 << TILE_HEIGHT)}")
        level += 1
    return paths


def main():
    base, name, work = sys.argv[1:]
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    prefix = f"/sumdb/{name}/"

    def get(path):
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path}: {response.status} {body[:200]!r}")
        return body

    latest = get(prefix + "latest").decode()
    size = int(latest.split("\n")[1])
    meta = json.load(open(os.path.join(work, "sumdb-meta.json")))
    versions = meta["versions"] + [line.strip() for line in open(os.path.join(work, "go-download.txt"))
                                   if line.strip()]
    if len(versions) != size:
        raise SystemExit(f"the log holds {size} records, the store {len(versions)} versions")
    lookups = [prefix + "lookup/" + escape(m) + "@" + escape(v) for m, v in (x.split("@") for x in versions)]
    random.Random(14).shuffle(lookups)
    hash_tiles = [prefix + t for t in tiles(size)]

    written = 0
    for list_name, paths in (("paths-lookup.txt", lookups), ("paths-tile.txt", hash_tiles)):
        with open(os.path.join(work, list_name), "w") as f:
            f.write("".join(p + "\n" for p in paths))
        for path in paths:
            body = get(path)
            out = os.path.join(work, "static", path.lstrip("/"))
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with open(out, "wb") as f:
                f.write(body)
            written += len(body)
    full = sum(1 for t in hash_tiles if ".p/" not in t)
    print(f"log of {size} records: {len(lookups)} lookups, {len(hash_tiles)} hash tiles ({full} full, "
          + ", ".join(t[len(prefix):] for t in hash_tiles if ".p/" in t)
          + f" partial); {written} bytes written for nginx")


if __name__ == "__main__":
    main()
