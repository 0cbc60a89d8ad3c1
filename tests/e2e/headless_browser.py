#!/usr/bin/env python3
"""A headless "browser" for the desktop end-to-end tests: the app runs it as
`TOKENTRAY_BROWSER` with an address as its only argument. For logins that is the `file://`
address of the owner-only page the app writes in its runtime directory, which forwards to the
authorize URL (the URL itself never goes on a command line); the page is read and followed.

It signs in as a person would, over plain HTTP (the same logic as tests/src/browser.rs):
follows redirects, fills the first POST form of each page (hidden inputs kept, `username` or
`login` and `password` typed in) and ends when a page has no form left or the next address is
not http(s).

- A loopback redirect_uri (http://127.0.0.1:PORT/callback?code=...) is requested, so the app's
  one-shot listener receives the code.
- A `tokentray://...` redirect cannot be opened here: it is recorded, and the test launches the
  app with it (the deep-link route).
- An out-of-band page (`<code id="code">`) gives the code: it is recorded for the test to paste.

Environment:
  E2E_LOGIN_USER / E2E_LOGIN_PASSWORD   credentials to type (default: the sandbox's ArcGIS
                                        demo user gis-analyst / contours)
  E2E_BROWSER_LOG                       a file to append one JSON line per run to:
                                        {"url", "landed", "code", "error"}
  E2E_BROWSER_STOP_AT                   a URL prefix not to request (recorded as "landed")

Only the Python standard library is used. Exit code 0 when the walk ended, 1 on an error
(which is also recorded).
"""

import html
import http.cookiejar
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

MAX_STEPS = 30
TIMEOUT_S = 10


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102
        return None


def _attr(tag, name):
    match = re.search(r'\b%s="([^"]*)"' % re.escape(name), tag)
    return html.unescape(match.group(1)) if match else None


def fill_form(page, username, password, user_code=None):
    """The first POST form of `page` filled in, as (action, fields), or None without a form.
    A device login's `user_code` input gets `user_code` when given."""
    start = page.find("<form")
    if start < 0:
        return None
    end = page.find("</form>", start)
    form = page[start : end if end >= 0 else len(page)]
    head = form[: form.find(">") + 1]
    method = (_attr(head, "method") or "get").lower()
    if method != "post":
        return None
    action = _attr(head, "action") or ""
    fields = []
    for tag in re.findall(r"<input\b[^>]*>", form):
        name = _attr(tag, "name")
        if name is None:
            continue
        if name in ("login", "username"):
            value = username
        elif name == "password":
            value = password
        elif name == "user_code" and user_code is not None:
            value = user_code
        else:
            value = _attr(tag, "value") or ""
        fields.append((name, value))
    return action, fields


def oob_code(page):
    match = re.search(r'<code id="code">(.*?)</code>', page, re.S)
    return html.unescape(match.group(1)).strip() if match else None


def follow_page(url):
    """The address a login page (`file://...`) forwards to, and the page's mode and its
    directory's mode; other addresses as they are."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "file":
        return url, None
    path = urllib.request.url2pathname(parts.path)
    with open(path, encoding="utf-8") as page_file:
        page = page_file.read()
    match = re.search(r'http-equiv="refresh" content="0;url=([^"]*)"', page)
    if not match:
        raise RuntimeError(f"{path}: the page forwards nowhere")
    modes = {
        "page_mode": oct(os.stat(path).st_mode & 0o777),
        "dir_mode": oct(os.stat(os.path.dirname(path)).st_mode & 0o777),
    }
    return html.unescape(match.group(1)), modes


def walk(url, username, password, stop_at=None, user_code=None):
    """Signs in starting at `url`. Returns {"landed": final URL, "code": OOB code or None}."""
    jar = http.cookiejar.CookieJar()
    # No proxies: every address here is on this machine.
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar), _NoRedirect()
    )
    following = url
    form = None
    posted = False
    for _ in range(MAX_STEPS):
        scheme = urllib.parse.urlsplit(following).scheme
        if scheme not in ("http", "https") or (
            form is None and stop_at and following.startswith(stop_at)
        ):
            return {"landed": following, "code": None}
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(following, data=data, method="POST" if data else "GET")
        posted, form = form is not None, None
        try:
            response = opener.open(request, timeout=TIMEOUT_S)
            status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, headers, body = error.code, error.headers, error.read()
        if 300 <= status < 400:
            location = headers.get("Location")
            if not location:
                raise RuntimeError(f"{following}: redirect without Location")
            following = urllib.parse.urljoin(following, location)
            continue
        page = body.decode("utf-8", "replace")
        if status >= 400:
            raise RuntimeError(f"{following}: HTTP {status}: {page[:300]}")
        refused = re.search(r'id="error"[^>]*>(.*?)<', page, re.S)
        if posted and refused:
            raise RuntimeError(f"the sign-in was refused: {html.unescape(refused.group(1)).strip()}")
        filled = fill_form(page, username, password, user_code)
        if filled is None:
            return {"landed": following, "code": oob_code(page)}
        action, form = filled
        following = urllib.parse.urljoin(following, action)
    raise RuntimeError("too many steps")


def main(argv):
    if len(argv) != 2:
        print("usage: headless_browser.py URL", file=sys.stderr)
        return 2
    url = argv[1]
    record = {"url": url, "page": None, "landed": None, "code": None, "error": None}
    try:
        url, modes = follow_page(url)
        if modes is not None:
            record.update(page=argv[1], url=url, **modes)
        record.update(
            walk(
                url,
                os.environ.get("E2E_LOGIN_USER", "gis-analyst"),
                os.environ.get("E2E_LOGIN_PASSWORD", "contours"),
                os.environ.get("E2E_BROWSER_STOP_AT") or None,
            )
        )
    except Exception as error:  # noqa: BLE001 - recorded for the test, which fails on it
        record["error"] = f"{type(error).__name__}: {error}"
    log = os.environ.get("E2E_BROWSER_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
    print(json.dumps(record), file=sys.stderr)
    return 1 if record["error"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
