#!/usr/bin/env python3
"""Scenario (p) of bench/run.sh: publishing new versions through modgate's HTTP API, timed.

    publish.py BASE_URL AUTHORIZATION MODULE BIG_ZIP [SMALL [CONNECTIONS [MODULES]]]

PUTs SMALL (200) new versions of MODULE (a go.mod and ~2 KB of Go each) on CONNECTIONS (4)
keep-alive connections at once (with MODULES > 1, of MODULE/m0 ... spread over that many modules,
round robin; modgate writes one version of a module at a time), then one version of MODULE/big holding BIG_ZIP's files (~13 MB;
none when BIG_ZIP is "-"), and prints one line: small_count small_seconds small_p50_ms
small_p99_ms big_bytes big_seconds. Every zip is built before the clock starts; every answer must
be 201.
"""

import http.client
import io
import statistics
import sys
import threading
import time
import urllib.parse
import zipfile

SMALL = 200
CONNECTIONS = 4


def module_zip(module, version, files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            z.writestr(zipfile.ZipInfo(f"{module}@{version}/{name}", (2023, 1, 2, 3, 4, 6)), data,
                       compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def rezip(path, module, version):
    """BIG_ZIP's files under MODULE@VERSION/ (its own go.mod replaced)."""
    files = [("go.mod", f"module {module}\n\ngo 1.19\n".encode())]
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            # `module@version/name`: the module path has slashes, the version none.
            name = info.filename.split("@", 1)[1].split("/", 1)[1]
            if name != "go.mod":
                files.append((name, z.read(info)))
    return module_zip(module, version, files)


def put(conn, auth, module, version, body):
    start = time.perf_counter()
    conn.request("PUT", f"/api/v1/{module}/@v/{version}.zip", body,
                 {"Authorization": auth, "Content-Type": "application/zip"})
    response = conn.getresponse()
    text = response.read()
    if response.status != 201:
        raise SystemExit(f"publishing {module}@{version}: {response.status} {text!r}")
    return time.perf_counter() - start


def main():
    base, auth, module, big_zip = sys.argv[1:5]
    small_count = int(sys.argv[5]) if len(sys.argv) > 5 else SMALL
    connections = int(sys.argv[6]) if len(sys.argv) > 6 else CONNECTIONS
    modules = int(sys.argv[7]) if len(sys.argv) > 7 else 1
    url = urllib.parse.urlparse(base)
    source = "package publish\n\n" + "".join(f"// line {i} of some real-looking source\n" for i in range(50))
    small_module = (lambda i: module) if modules <= 1 else (lambda i: f"{module}/m{i % modules}")
    small = [(small_module(i), f"v0.1.{i}", module_zip(small_module(i), f"v0.1.{i}", [
        ("go.mod", f"module {small_module(i)}\n\ngo 1.19\n".encode()),
        ("publish.go", source.encode()),
    ])) for i in range(small_count)]
    big_module = f"{module}/big"
    big = rezip(big_zip, big_module, "v1.0.0") if big_zip != "-" else None

    latencies, lock = [], threading.Lock()

    def worker(share):
        conn = http.client.HTTPConnection(url.hostname, url.port)
        for path, version, body in share:
            took = put(conn, auth, path, version, body)
            with lock:
                latencies.append(took)
        conn.close()

    threads = [threading.Thread(target=worker, args=(small[i::connections],)) for i in range(connections)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    small_seconds = time.perf_counter() - start
    if len(latencies) != small_count:
        raise SystemExit("a publishing thread failed")
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    big_seconds = 0.0
    if big is not None:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
        big_seconds = put(conn, auth, big_module, "v1.0.0", big)
    print(f"{small_count}\t{small_seconds:.3f}\t{statistics.median(latencies) * 1000:.2f}\t"
          f"{p99 * 1000:.2f}\t{len(big) if big is not None else 0}\t{big_seconds:.3f}")


if __name__ == "__main__":
    main()
