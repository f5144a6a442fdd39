"""The threaded HTTP server: Stripe's `/v1` routes, the `/_standin/` controls, and `serve()`."""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import unquote, urlsplit

from devtools.stripe_standin import errors, intents, refunds
from devtools.stripe_standin.control import handle_control
from devtools.stripe_standin.engine import Engine, RequestContext
from devtools.stripe_standin.errors import JsonObject, StripeApiError
from devtools.stripe_standin.faults import Fault, FaultPlan
from devtools.stripe_standin.forms import Params, nest, parse_pairs
from devtools.stripe_standin.idempotency import (
    MAX_KEY_LENGTH,
    ApiResponse,
    Fingerprint,
    IdempotencyStore,
)
from devtools.stripe_standin.logs import log_json
from devtools.stripe_standin.objects import new_id
from devtools.stripe_standin.settings import StandinSettings
from devtools.stripe_standin.state import Ledger
from devtools.stripe_standin.webhooks import WebhookDispatcher, WebhookSettings

Operation = Callable[[Engine, "re.Match[str]", Params, RequestContext], JsonObject]
MAX_BODY_BYTES = 1 << 20
FORM = "application/x-www-form-urlencoded"
NO_API_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
    "https://stripe.com/docs/api#authentication for details, or we can help at "
    "https://support.stripe.com/."
)
TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")


@dataclass(frozen=True)
class Route:
    """One Stripe endpoint the stand-in implements."""

    method: str
    pattern: re.Pattern[str]
    operation: Operation


ROUTES = (
    Route(
        "POST",
        re.compile(r"/v1/payment_intents"),
        lambda engine, _, params, context: intents.create(engine, params, context),
    ),
    Route(
        "POST",
        re.compile(r"/v1/payment_intents/(?P<id>[^/]+)/confirm"),
        lambda engine, match, params, context: intents.confirm(
            engine, unquote(match["id"]), params, context
        ),
    ),
    Route(
        "GET",
        re.compile(r"/v1/payment_intents/(?P<id>[^/]+)"),
        lambda engine, match, params, _: intents.retrieve(engine, unquote(match["id"]), params),
    ),
    Route(
        "POST",
        re.compile(r"/v1/refunds"),
        lambda engine, _, params, context: refunds.create(engine, params, context),
    ),
)


def to_json(body: JsonObject) -> bytes:
    """Pretty JSON, as Stripe answers."""
    return json.dumps(body, indent=2).encode()


class StandinServer(ThreadingHTTPServer):
    """The stand-in: state, idempotency, faults and webhooks behind a threaded HTTP server."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, settings: StandinSettings) -> None:
        self.settings = settings
        self.ledger = Ledger()
        self.webhooks = WebhookDispatcher(settings.webhook)
        self.engine = Engine(self.ledger, self.webhooks, api_version=settings.api_version)
        self.idempotency = IdempotencyStore()
        self.faults = FaultPlan()
        self._running = threading.Event()
        super().__init__((settings.host, settings.port), StandinHandler)

    @property
    def port(self) -> int:
        """The bound port (useful with port 0)."""
        return self.server_port

    @property
    def url(self) -> str:
        """The base address to give `stripe.StripeClient(base_addresses={"api": ...})`."""
        return f"http://{self.settings.host}:{self.port}"

    def start_background(self) -> threading.Thread:
        """Serve from a daemon thread and return once requests are being accepted."""
        thread = threading.Thread(target=self.run, name="stripe-standin", daemon=True)
        thread.start()
        self._running.wait(5)
        return thread

    def run(self) -> None:
        """Deliver webhooks and answer requests until `close()`."""
        self.webhooks.start()
        self._running.set()
        self.serve_forever(poll_interval=0.05)

    def reset(self) -> None:
        """Forget all objects, idempotency keys, armed faults and queued webhooks."""
        self.ledger.reset()
        self.idempotency.clear()
        self.faults.clear()
        self.webhooks.clear()

    def close(self) -> None:
        """Stop serving, close the socket and stop the webhook workers."""
        if self._running.is_set():
            self._running.clear()
            self.shutdown()
        self.server_close()
        self.webhooks.stop()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class StandinHandler(BaseHTTPRequestHandler):
    """One HTTP request: a Stripe API call or a `/_standin/` control."""

    server: StandinServer
    protocol_version = "HTTP/1.1"
    # The head and the body leave in two writes: with Nagle's algorithm on, the body waits
    # for the client's delayed ACK of the head, 40 ms on every call of a kept-alive client.
    disable_nagle_algorithm = True
    server_version = "stripe-standin/1.0"
    sys_version = ""

    def do_GET(self) -> None:
        """Answer a GET."""
        self._handle("GET")

    def do_POST(self) -> None:
        """Answer a POST."""
        self._handle("POST")

    def do_DELETE(self) -> None:
        """Answer a DELETE."""
        self._handle("DELETE")

    def log_message(self, format: str, *args: object) -> None:
        """Silence the default access log: every request is logged as JSON instead."""

    def _handle(self, method: str) -> None:
        """Route to the control API or the Stripe API and log one line."""
        started = time.monotonic()
        target = urlsplit(self.path)
        body = self._read_body()
        if target.path == "/_standin" or target.path.startswith("/_standin/"):
            status, answer = handle_control(self.server, method, target.path, body)
            self._send(status, to_json(answer), [])
            fields: JsonObject = {"status": status}
        else:
            fields = self._api(method, target.path, target.query, body)
        elapsed = round((time.monotonic() - started) * 1000, 1)
        log_json("request", method=method, path=target.path, durationMs=elapsed, **fields)

    def _api(self, method: str, path: str, query: str, body: bytes) -> JsonObject:
        """Serve one Stripe API call; returns the fields to log."""
        request_id = new_id("req", 14)
        fault = self.server.faults.take(path)
        if fault is not None and fault.when == "before":
            self._fail(fault, request_id)
            return {"requestId": request_id, "status": fault.status, "fault": fault.mode}
        key = self.headers.get("Idempotency-Key") if method == "POST" else None
        replayed = False
        try:
            api_key = self._api_key()
            route, match = self._route(method, path)
            pairs = parse_pairs(self._form_body(body) if method == "POST" else query)
            context = RequestContext(request_id, key)

            def execute() -> tuple[ApiResponse, bool]:
                return self._execute(route, match, pairs, context)

            if key:
                if len(key) > MAX_KEY_LENGTH:
                    raise errors.invalid_request(
                        f"Idempotency-Key must be at most {MAX_KEY_LENGTH} characters long."
                    )
                fingerprint = Fingerprint.of(method, path, pairs)
                response, replayed = self.server.idempotency.run(
                    (api_key, key), fingerprint, execute
                )
            else:
                response, _ = execute()
        except StripeApiError as exc:
            response = ApiResponse(exc.status, to_json(exc.body()), request_id)
        fields: JsonObject = {"requestId": request_id, "idempotencyKey": key, "replayed": replayed}
        if fault is not None:
            self._fail(fault, request_id)
            return {**fields, "status": fault.status, "fault": fault.mode, "ranFirst": True}
        headers = [("Request-Id", request_id)]
        if key:
            headers.append(("Idempotency-Key", key))
        if replayed:
            headers += [("Idempotent-Replayed", "true"), ("Original-Request", response.request_id)]
        headers.append(
            (
                "Stripe-Version",
                self.headers.get("Stripe-Version") or self.server.settings.api_version,
            )
        )
        self._send(response.status, response.body, headers)
        return {**fields, "status": response.status}

    def _execute(
        self,
        route: Route,
        match: re.Match[str],
        pairs: list[tuple[str, str]],
        context: RequestContext,
    ) -> tuple[ApiResponse, bool]:
        """Run the operation; Stripe keeps the result unless the request was invalid."""
        try:
            body = route.operation(self.server.engine, match, Params(nest(pairs)), context)
        except StripeApiError as exc:
            keep = exc.error_type not in ("invalid_request_error", "idempotency_error")
            return ApiResponse(exc.status, to_json(exc.body()), context.request_id), keep
        return ApiResponse(200, to_json(body), context.request_id), True

    def _api_key(self) -> str:
        """The secret key from `Authorization: Bearer` (or Basic), or Stripe's 401."""
        header = self.headers.get("Authorization", "").strip()
        if not header:
            raise errors.authentication(NO_API_KEY)
        scheme, _, value = header.partition(" ")
        key = value.strip()
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(key, validate=True).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        expected = self.server.settings.api_key
        valid = key.startswith(TEST_KEY_PREFIXES) and len(key) > len(TEST_KEY_PREFIXES[0])
        if not valid or (expected is not None and key != expected):
            raise errors.authentication(f"Invalid API Key provided: {_redact(key)}")
        return key

    @staticmethod
    def _route(method: str, path: str) -> tuple[Route, re.Match[str]]:
        """The implemented endpoint for this request, or Stripe's 404."""
        for route in ROUTES:
            match = route.pattern.fullmatch(path)
            if match is not None and route.method == method:
                return route, match
        raise errors.unrecognized_url(method, path)

    def _form_body(self, body: bytes) -> str:
        """The POST body as text; Stripe's v1 API takes only form encoding."""
        content_type = self.headers.get("Content-Type", FORM).split(";")[0].strip()
        if body and content_type != FORM:
            raise errors.invalid_request(
                f"Invalid request: unsupported Content-Type {content_type}. If error persists "
                "and you need assistance, please contact support@stripe.com."
            )
        try:
            return body.decode()
        except UnicodeDecodeError as exc:
            raise errors.invalid_request("Invalid request: the body is not UTF-8.") from exc

    def _read_body(self) -> bytes:
        """Read the request body (always, so keep-alive connections stay in step)."""
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return b""
        return self.rfile.read(length) if length > 0 else b""

    def _fail(self, fault: Fault, request_id: str) -> None:
        """Answer with an injected error, or drop the connection (after a hang)."""
        if fault.mode == "error":
            error = errors.api_error(fault.status)
            self._send(fault.status, to_json(error.body()), [("Request-Id", request_id)])
            return
        if fault.mode == "hang":
            time.sleep(fault.hang_ms / 1000)
        self.close_connection = True

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        """Write a JSON response with a Content-Length (HTTP/1.1 keep-alive)."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _redact(key: str) -> str:
    """A key as Stripe echoes it in errors: prefix, stars, last four."""
    if len(key) <= 12:
        return "*" * len(key)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def start(settings: StandinSettings) -> tuple[StandinServer, threading.Thread]:
    """Bind and serve in a daemon thread; call `server.close()` to stop."""
    server = StandinServer(settings)
    return server, server.start_background()


def serve(
    port: int = 0,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    *,
    host: str = "127.0.0.1",
    api_key: str | None = None,
    webhook_duplicates: int = 0,
    webhook_delay_ms: int = 0,
    webhook_retries: int = 3,
    webhook_backoff_ms: int = 500,
) -> tuple[StandinServer, threading.Thread]:
    """Run the stand-in in-process (port 0 picks a free port; see `server.url`)."""
    webhook = WebhookSettings(
        url=webhook_url,
        secret=webhook_secret,
        duplicates=webhook_duplicates,
        delay_ms=webhook_delay_ms,
        retries=webhook_retries,
        backoff_ms=webhook_backoff_ms,
    )
    return start(StandinSettings(host=host, port=port, api_key=api_key, webhook=webhook))
