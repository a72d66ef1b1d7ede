#!/usr/bin/env python3
"""The store of bench/ui.sh: many modules, for the web UI's modules page.

    gen_ui_store.py OUT_DIR MODULES [VERSIONS]

writes OUT_DIR/store, a cache/download tree (as bench/gen_store.py writes one: .info, .mod, a
valid zip and the module's list) of MODULES modules of VERSIONS versions each (3), each zip a
go.mod and one small Go file, under corp.example/<team>/ (eight teams, so a search for a team
matches an eighth of them; every fifth path with capitals, escaped `!x` on disk), and
OUT_DIR/ui-meta.json with the counts. Deterministic: every run writes the same bytes.
"""

import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_store import Store  # noqa: E402  (the zips, .info and .mod as run.sh's store has them)

TEAMS = ["payments", "search", "infra", "identity", "billing", "ml", "mobile", "web"]
KINDS = ["lib", "client", "server", "tool", "proto", "kit", "sdk", "worker"]


def module_path(i: int) -> str:
    team = TEAMS[i % len(TEAMS)]
    kind = KINDS[(i // len(TEAMS)) % len(KINDS)]
    name = f"{kind}-{i:05d}"
    if i % 5 == 0:
        name = name.capitalize()
    return f"corp.example/{team}/{name}"


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    per_module = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    store_dir = os.path.join(out, "store")
    if os.path.exists(store_dir):
        shutil.rmtree(store_dir)
    os.makedirs(out, exist_ok=True)
    source = os.path.join(out, "ui.go")
    with open(source, "w") as f:
        f.write("// Package ui is a small module of the web UI benchmark.\npackage ui\n\n"
                "// Answer is what every version of it says.\nconst Answer = 42\n")
    store = Store(store_dir)
    for i in range(count):
        for v in range(per_module):
            store.add(module_path(i), f"v1.{v}.0", [("ui.go", source)])
    store.write_lists()
    meta = {
        "modules": count,
        "versions": count * per_module,
        "zip_bytes": sum(store.sizes.values()),
    }
    with open(os.path.join(out, "ui-meta.json"), "w") as f:
        json.dump(meta, f)
    print(f"ui store: {count} modules of {per_module} versions "
          f"({meta['zip_bytes'] / meta['versions']:.0f} bytes a zip)")


if __name__ == "__main__":
    main()
