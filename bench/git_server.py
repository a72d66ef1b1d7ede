#!/usr/bin/env python3
"""The git benchmark's git host: bare repositories over smart HTTP through the real
`git http-backend` (CGI, one process per request), behind basic auth, with go-import pages.

    git_server.py --listen 127.0.0.1:PORT --root DIR --user USER --password PASSWORD [--log FILE]

- `GET /team/x?go-get=1` (no credentials needed, as on GitLab for a public group page) answers
  `<meta name="go-import" content="git.corp.example/team/x git http://git.corp.example/team/x.git">`
  for any path in or below the repository DIR/team/x.git; 404 when there is none.
- Everything else is git's smart HTTP, given to `git http-backend` with GIT_PROJECT_ROOT=DIR,
  after basic auth (401 with a challenge otherwise, as git and gix expect before they send
  credentials).
- It is also an HTTP proxy for http://git.corp.example: requests in absolute form
  (`GET http://git.corp.example/team/x.git/info/refs?… HTTP/1.1`) are served as if sent to
  that host, so `HTTP_PROXY=http://127.0.0.1:PORT` sends the go command, git and modgate here.
  `CONNECT` (https) is refused: the go command then falls back to plain http for a GOINSECURE
  host, as it does against a real host without TLS.

Threaded (a thread per connection, HTTP/1.1 keep-alive), the CGI's output streamed back chunked
as it is produced, so neither a go client with many git processes nor modgate waits on it more
than the other.
"""

import argparse
import base64
import hmac
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOST = "git.corp.example"
CHUNK = 256 * 1024


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bench-git"
    sys_version = ""

    def log_message(self, fmt, *args):
        log = self.server.log
        if log:
            with self.server.log_lock:
                log.write("%s %s\n" % (self.log_date_time_string(), fmt % args))
                log.flush()

    # --- dispatch ---------------------------------------------------------------------------

    def do_CONNECT(self):
        self.plain(502, b"this proxy serves only http://git.corp.example\n")

    def do_GET(self):
        self.handle_any()

    def do_POST(self):
        self.handle_any()

    def handle_any(self):
        target = self.path
        if target.startswith("http://"):
            parts = urlsplit(target)
            host, path, query = parts.netloc, parts.path or "/", parts.query
        else:
            host = self.headers.get("Host", "")
            path, _, query = target.partition("?")
        body = self.read_body()
        if host.split(":")[0] not in (HOST, "127.0.0.1"):
            return self.plain(502, b"this proxy serves only http://git.corp.example\n")
        if "go-get=1" in query.split("&"):
            return self.go_import(path)
        if not self.authorized():
            return self.plain(401, b"authentication required\n",
                              [("WWW-Authenticate", 'Basic realm="git"')])
        self.http_backend(path, query, body)

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # trailers, up to the empty line
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # --- answers ----------------------------------------------------------------------------

    def plain(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def go_import(self, path):
        elems = [e for e in path.strip("/").split("/") if e]
        root = self.server.root
        for n in range(1, len(elems) + 1):
            repo = "/".join(elems[:n])
            if os.path.isfile(os.path.join(root, repo + ".git", "HEAD")):
                prefix = f"{HOST}/{repo}"
                page = (
                    "<!DOCTYPE html>\n<html><head>\n"
                    f'<meta name="go-import" content="{prefix} git http://{HOST}/{repo}.git">\n'
                    f"</head><body>go get {prefix}</body></html>\n"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
        self.plain(404, b"no such repository\n")

    def authorized(self):
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        try:
            given = base64.b64decode(auth[6:].strip(), validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(given, self.server.credentials)

    def http_backend(self, path, query, body):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.server.root,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_PROJECT_ROOT": self.server.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "REMOTE_USER": self.server.user,
            "REMOTE_ADDR": "127.0.0.1",
            "CONTENT_LENGTH": str(len(body)),
        }
        for header, var in (("Content-Type", "CONTENT_TYPE"),
                            ("Content-Encoding", "HTTP_CONTENT_ENCODING"),
                            ("Git-Protocol", "HTTP_GIT_PROTOCOL")):
            value = self.headers.get(header)
            if value is not None:
                env[var] = value
        child = subprocess.Popen([self.server.backend], env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        writer = threading.Thread(target=feed, args=(child.stdin, body))
        writer.start()
        try:
            out = child.stdout
            status, headers = 200, []
            while True:
                line = out.readline()
                if not line:
                    child.wait()
                    writer.join()
                    return self.plain(502, b"git http-backend failed\n")
                line = line.rstrip(b"\r\n")
                if not line:
                    break
                key, _, value = line.decode("latin-1").partition(":")
                key, value = key.strip(), value.strip()
                if key.lower() == "status":
                    status = int(value.split()[0])
                else:
                    headers.append((key, value))
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            while True:
                data = out.read1(CHUNK)
                if not data:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        finally:
            child.stdout.close()
            child.wait()
            writer.join()


def feed(pipe, body):
    try:
        pipe.write(body)
    except BrokenPipeError:
        pass
    finally:
        try:
            pipe.close()
        except BrokenPipeError:
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--log")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    exec_path = subprocess.run(["git", "--exec-path"], check=True, stdout=subprocess.PIPE,
                               text=True).stdout.strip()
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.daemon_threads = True
    server.root = os.path.abspath(args.root)
    server.backend = os.path.join(exec_path, "git-http-backend")
    server.user = args.user
    server.credentials = f"{args.user}:{args.password}".encode()
    server.log = open(args.log, "a") if args.log else None
    server.log_lock = threading.Lock()
    print(f"serving {server.root} on {args.listen}", file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
