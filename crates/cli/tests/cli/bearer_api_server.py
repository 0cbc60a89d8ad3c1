"""A stand-in for a Kubernetes API server, for `tokentray token --format k8s` under a real
kubectl: HTTPS on 127.0.0.1 (kubectl sends credentials only over TLS), every request needs `Authorization: Bearer TOKEN` with a token the
token's own service accepts (its userinfo endpoint answers 200 for it); it answers a small JSON
object naming the path and the token's subject, and 401 (a Kubernetes `Status`) otherwise.

    python3 bearer_api_server.py USERINFO_URL CERT_PEM KEY_PEM

Prints `listening PORT` once it listens, then serves until it is killed.
"""

import http.server
import json
import ssl
import sys
import urllib.error
import urllib.request

USERINFO = sys.argv[1]
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def subject_of(header):
    if not header or not header.startswith("Bearer "):
        return None
    request = urllib.request.Request(USERINFO, headers={"Authorization": header})
    try:
        with NO_PROXY.open(request, timeout=10) as answer:
            return json.load(answer).get("sub")
    except urllib.error.HTTPError:
        return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        subject = subject_of(self.headers.get("Authorization"))
        if subject is None:
            status, body = 401, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                 "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
        else:
            status, body = 200, {"path": self.path, "subject": subject}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls.load_cert_chain(sys.argv[2], sys.argv[3])
server.socket = tls.wrap_socket(server.socket, server_side=True)
print("listening %d" % server.server_address[1], flush=True)
server.serve_forever()
