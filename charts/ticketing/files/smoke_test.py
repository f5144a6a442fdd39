"""`helm test`: requests through the ingress controller get the local gateway's answers."""

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

BASE = os.environ["INGRESS_URL"].rstrip("/")
HOST = os.environ.get("INGRESS_HOST", "")
DEADLINE = time.monotonic() + float(os.environ.get("SMOKE_TEST_SECONDS", "90"))
PROBLEM = "application/problem+json"
if not BASE.startswith(("http://", "https://")):
    sys.exit(f"INGRESS_URL must be http(s)://..., got {BASE!r}")

# (path, status, content type, what the JSON body must contain)
CHECKS = [
    ("/api/users/currentuser", 200, "application/json", "currentUser"),
    ("/api/tickets", 200, "application/json", "items"),
    ("/api/orders", 401, PROBLEM, "status"),
    ("/api/payments/openapi.json", 200, "application/json", "openapi"),
    ("/api/nope", 404, PROBLEM, "status"),
    ("/", 200, "text/html", None),
]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def fetch(path):
    """(status, content type, body) of GET path; errors are answers too."""
    headers = {"Host": HOST} if HOST else {}
    request = urllib.request.Request(BASE + path, headers=headers)  # noqa: S310 - http(s) only
    context = ssl.create_default_context()
    # The controller's certificate names the public host, not its in-cluster Service.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Content-Type", ""), error.read()


def problem(path, status, content_type, key):
    """What is wrong with the answer to path, or None."""
    try:
        got_status, got_type, body = fetch(path)
    except OSError as exc:
        return f"no answer: {exc}"
    if got_status != status:
        return f"status {got_status}, expected {status}"
    if got_type.split(";")[0].strip() != content_type:
        return f"content type {got_type!r}, expected {content_type}"
    if key is not None:
        try:
            document = json.loads(body)
        except ValueError:
            return "the body is not JSON"
        if not isinstance(document, dict) or key not in document:
            return f"the body has no {key!r}"
    return None


def main():
    failures = 0
    for path, status, content_type, key in CHECKS:
        while True:
            error = problem(path, status, content_type, key)
            if error is None or time.monotonic() > DEADLINE:
                break
            time.sleep(2)
        print(f"{'ok  ' if error is None else 'FAIL'} GET {path}: {error or status}", flush=True)
        failures += error is not None
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
