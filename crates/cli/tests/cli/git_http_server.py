"""A git smart-HTTP server for the credential helper's tests: git http-backend as CGI behind
an HTTP server on 127.0.0.1 that lets a request through only with HTTP Basic credentials whose
password is a bearer token the token's own service accepts (its userinfo endpoint answers 200
for it). Anything else gets 401 with `WWW-Authenticate: Basic`, as a real git host answers.

    python3 git_http_server.py PROJECT_ROOT USERINFO_URL

Prints `listening PORT` once it listens, then serves until it is killed. Each request's outcome
is printed as `allowed USER` or `refused` (never the password).
"""

import base64
import http.server
import os
import subprocess
import sys
import urllib.error
import urllib.request

ROOT, USERINFO = sys.argv[1], sys.argv[2]
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def token_is_good(token):
    request = urllib.request.Request(USERINFO, headers={"Authorization": "Bearer " + token})
    try:
        with NO_PROXY.open(request, timeout=10) as answer:
            return answer.status == 200
    except urllib.error.HTTPError:
        return False


def user_of(header):
    """The user name of good Basic credentials, or None."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        return None
    return user if user and password and token_is_good(password) else None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.serve()

    def do_POST(self):
        self.serve()

    def serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        user = user_of(self.headers.get("Authorization"))
        if user is None:
            print("refused", flush=True)
            text = b"authentication required\n"
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)
            return
        print("allowed " + user, flush=True)
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": ROOT,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": user,
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
        }
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = done.stdout.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("listening %d" % server.server_address[1], flush=True)
server.serve_forever()
