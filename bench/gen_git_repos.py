#!/usr/bin/env python3
"""Generates the git benchmark's repositories: what the company's git host holds.

    gen_git_repos.py OUT_DIR

writes bare repositories under OUT_DIR/repos/team/<name>.git (packed, as a git host keeps them;
HEAD is `main`) for the module paths git.corp.example/team/<name>, and OUT_DIR/repos.json (the
modules and the versions the benchmark downloads). Made with the `git` binary, every commit and
tag at a fixed date by a fixed author, so that every run serves the same commits and the same
module zips:

- 10 small modules from real Go sources (Debian's golang-*-dev packages, /usr/share/gocode/src),
  each with a history of five commits and four annotated tags (v0.1.0, v0.2.0, v1.0.0, v1.1.0),
  main one commit past the last tag;
- `tags`: one module with 2,000 tagged releases (v1.0.0 … v1.19.99, every other tag annotated),
  one commit each, made with `git fast-import`;
- `big`: a go.mod and 200 files of 1 MiB of incompressible (seeded random) bytes, one commit,
  one tag v1.0.0: a 200 MiB module zip (the limit is 500 MiB).
"""

import json
import os
import random
import re
import shutil
import subprocess
import sys

GOCODE = "/usr/share/gocode/src"
HOST = "git.corp.example"
SEED = 13  # the issue number
# (repository name, source package): small, real modules
SOURCES = [
    ("errors", "github.com/pkg/errors"),
    ("logrus", "github.com/sirupsen/logrus"),
    ("gocmp", "github.com/google/go-cmp"),
    ("testify", "github.com/stretchr/testify"),
    ("cobra", "github.com/spf13/cobra"),
    ("pflag", "github.com/spf13/pflag"),
    ("yaml", "gopkg.in/yaml.v3"),
    ("xmod", "golang.org/x/mod"),
    ("xterm", "golang.org/x/term"),
    ("toml", "github.com/BurntSushi/toml"),
]
TAGS = ["v0.1.0", "v0.2.0", "v1.0.0", "v1.1.0"]
LIST_TAGS = [f"v1.{minor}.{patch}" for minor in range(20) for patch in range(100)]
BIG_FILES = 200
BIG_FILE_SIZE = 1 << 20

SAFE_ELEM = re.compile(r"^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$")
AUTHOR = {
    "GIT_AUTHOR_NAME": "Corp Developer",
    "GIT_AUTHOR_EMAIL": "dev@corp.example",
    "GIT_COMMITTER_NAME": "Corp Developer",
    "GIT_COMMITTER_EMAIL": "dev@corp.example",
}


def git(cwd, *args, date=None, stdin=None):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": cwd,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        **AUTHOR,
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    out = subprocess.run(["git", *args], cwd=cwd, env=env, input=stdin,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if out.returncode != 0:
        sys.exit(f"git {' '.join(args)} in {cwd}: {out.stderr.decode(errors='replace')}")
    return out.stdout.decode()


def init(work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    git(work, "init", "--quiet", "--initial-branch=main")
    git(work, "config", "core.autocrlf", "false")


def publish(work, bare):
    """A bare, packed copy with every branch and tag: what a git host holds."""
    shutil.rmtree(bare, ignore_errors=True)
    os.makedirs(os.path.dirname(bare), exist_ok=True)
    git(os.path.dirname(bare), "clone", "--quiet", "--mirror", "--no-local", work, bare)
    git(bare, "repack", "-a", "-d", "-q")
    git(bare, "pack-refs", "--all")


def source_files(root):
    """Regular files of a source package (relative paths), as a repository would hold them:
    no nested modules, no go.mod/go.sum (each module writes its own), safe names only."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames
            if not os.path.islink(os.path.join(dirpath, d))
            and not os.path.exists(os.path.join(dirpath, d, "go.mod"))
            and d not in ("vendor", ".git")
        )
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            if os.path.islink(full) or rel in ("go.mod", "go.sum"):
                continue
            if all(SAFE_ELEM.match(e) and not e.endswith(".") for e in rel.split("/")):
                found.append(rel)
    return found


def small_module(out, name, package):
    src = os.path.realpath(os.path.join(GOCODE, package))
    files = source_files(src)
    if not files:
        sys.exit(f"{src}: no files (is its golang-*-dev package installed?)")
    work = os.path.join(out, "src", name)
    init(work)
    module = f"{HOST}/team/{name}"

    def write(rel, data):
        path = os.path.join(work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    def copy(rel):
        with open(os.path.join(src, rel), "rb") as f:
            write(rel, f.read())

    write("go.mod", f"module {module}\n\ngo 1.19\n".encode())
    if "LICENSE" not in files:
        write("LICENSE", b"Copyright 2024 Corp. All rights reserved.\n")
    # Five commits a week apart: the files arrive in three steps, then two changes.
    steps = [files[: len(files) * 4 // 10], files[len(files) * 4 // 10: len(files) * 7 // 10],
             files[len(files) * 7 // 10:]]
    day = 1 + SOURCES.index((name, package))
    for i, tag in enumerate(TAGS):
        date = f"2024-0{i + 2}-{day:02d}T10:00:00Z"
        if i < len(steps):
            for rel in steps[i]:
                copy(rel)
        else:
            go = [f for f in files if f.endswith(".go") and not f.endswith("_test.go")][:3]
            for rel in go:
                with open(os.path.join(work, rel), "ab") as f:
                    f.write(f"\n// Changed for {tag}.\n".encode())
        write("README.md", f"# {module}\n\nFrom {package}, release {tag}.\n".encode())
        git(work, "add", "--all")
        git(work, "commit", "--quiet", "-m", f"release {tag}", date=date)
        git(work, "tag", "-a", "-m", f"release {tag}", tag, date=date)
    write("README.md", f"# {module}\n\nFrom {package}, work after {TAGS[-1]}.\n".encode())
    git(work, "add", "--all")
    git(work, "commit", "--quiet", "-m", "work in progress", date=f"2024-07-{day:02d}T10:00:00Z")
    publish(work, os.path.join(out, "repos", "team", f"{name}.git"))
    return {"module": module, "version": TAGS[-1], "files": len(files) + 2}


def tags_module(out):
    """2,000 releases, one commit each, through fast-import (2,000 `git commit`s would take a
    minute)."""
    work = os.path.join(out, "src", "tags")
    init(work)
    module = f"{HOST}/team/tags"
    base = 1704103200  # 2024-01-01T10:00:00Z
    stream = []
    who = f"{AUTHOR['GIT_AUTHOR_NAME']} <{AUTHOR['GIT_AUTHOR_EMAIL']}>"

    def data(text):
        raw = text.encode()
        return f"data {len(raw)}\n".encode() + raw + b"\n"

    go_mod = f"module {module}\n\ngo 1.19\n"
    for i, tag in enumerate(LIST_TAGS):
        when = f"{base + i * 3600} +0000"
        stream.append(f"commit refs/heads/main\nmark :{i + 1}\nauthor {who} {when}\ncommitter {who} {when}\n".encode())
        stream.append(data(f"release {tag}\n"))
        if i > 0:
            stream.append(f"from :{i}\n".encode())
        if i == 0:
            stream.append(b"M 100644 inline go.mod\n" + data(go_mod))
        src = f"package tags\n\n// Version is this release.\nconst Version = \"{tag}\"\n"
        stream.append(b"M 100644 inline version.go\n" + data(src) + b"\n")
        if i % 2 == 0:
            stream.append(f"tag {tag}\nfrom :{i + 1}\ntagger {who} {when}\n".encode() + data(f"release {tag}\n"))
        else:
            stream.append(f"reset refs/tags/{tag}\nfrom :{i + 1}\n\n".encode())
    git(work, "fast-import", "--quiet", stdin=b"".join(stream))
    git(work, "checkout", "--quiet", "-f", "main")
    publish(work, os.path.join(out, "repos", "team", "tags.git"))
    return {"module": module, "tags": len(LIST_TAGS)}


def big_module(out):
    work = os.path.join(out, "src", "big")
    init(work)
    module = f"{HOST}/team/big"
    with open(os.path.join(work, "go.mod"), "w") as f:
        f.write(f"module {module}\n\ngo 1.19\n")
    os.makedirs(os.path.join(work, "data"))
    rng = random.Random(SEED)
    for i in range(BIG_FILES):
        with open(os.path.join(work, "data", f"blob{i:03d}.bin"), "wb") as f:
            f.write(rng.randbytes(BIG_FILE_SIZE))
    date = "2024-03-01T10:00:00Z"
    git(work, "add", "--all")
    git(work, "commit", "--quiet", "-m", "200 MiB of data", date=date)
    git(work, "tag", "-a", "-m", "v1.0.0", "v1.0.0", date=date)
    publish(work, os.path.join(out, "repos", "team", "big.git"))
    return {"module": module, "version": "v1.0.0", "files": BIG_FILES + 1,
            "bytes": BIG_FILES * BIG_FILE_SIZE}


def main():
    out = os.path.abspath(sys.argv[1])
    shutil.rmtree(os.path.join(out, "repos"), ignore_errors=True)
    modules = [small_module(out, name, package) for name, package in SOURCES]
    meta = {"modules": modules, "tags": tags_module(out), "big": big_module(out)}
    # The work trees are only the way to the bare repositories.
    shutil.rmtree(os.path.join(out, "src"))
    with open(os.path.join(out, "repos.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"{len(modules)} modules, a repository of {len(LIST_TAGS)} tags and a 200 MiB one "
          f"under {out}/repos", file=sys.stderr)


if __name__ == "__main__":
    main()
