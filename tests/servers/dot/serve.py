#!/usr/bin/env python3
"""Starts the strict django-oauth-toolkit server on 127.0.0.1 for one test run.

    .venv/bin/python serve.py [--redirect-port PORT]

Binds a free port first, makes an RSA signing key and an SQLite database in a temporary
directory, migrates, creates the test user and clients (manage.py setup_clients), then prints

    dot listening on http://127.0.0.1:PORT

on stdout (the OpenID issuer is that URL + /o) and serves until killed.
"""

import argparse
import os
import sys
import tempfile
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--redirect-port", type=int, default=8765)
    args = parser.parse_args()

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    tmp = tempfile.TemporaryDirectory(prefix="tokentray-dot-")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    os.environ["DOT_RSA_KEY"] = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    os.environ["DOT_DB"] = os.path.join(tmp.name, "db.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dotserver.settings")

    # The port is bound before Django starts, so settings know the server's own address.
    httpd = make_server("127.0.0.1", 0, lambda e, s: [], server_class=Server, handler_class=QuietHandler)
    base = f"http://127.0.0.1:{httpd.server_port}"
    os.environ["DOT_BASE_URL"] = base

    import django
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    with open(os.devnull, "w") as quiet:
        call_command("setup_clients", redirect_port=args.redirect_port, stdout=quiet)
    httpd.set_app(get_wsgi_application())
    print(f"dot listening on {base}", flush=True)
    try:
        httpd.serve_forever()
    finally:
        tmp.cleanup()


if __name__ == "__main__":
    main()
