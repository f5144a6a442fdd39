"""HTTPS deliveries verify the receiver's certificate for the endpoint's hostname."""

from __future__ import annotations

import datetime
import ssl
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask.testing import FlaskClient

from api.webhooks.models import Delivery
from common.db import Database
from common.events.envelope import Envelope
from tests.integration.webhooks.conftest import Auth, order_event
from workers.consumers import Outcome
from workers.webhooks.dispatcher import Dispatcher


def self_signed(folder: Path, hostname: str) -> tuple[Path, Path]:
    """A certificate for `hostname` that no CA vouches for, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def tls_receiver(folder: Path) -> Iterator[tuple[str, list[bytes], Path]]:
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert, key = self_signed(folder, "localhost")
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}/hooks", received, cert
    finally:
        server.shutdown()
        server.server_close()


def test_an_untrusted_certificate_is_not_delivered_to(
    tmp_path: Path,
    client: FlaskClient,
    auth: Auth,
    consume: Callable[[Envelope], Outcome],
    dispatcher: Dispatcher,
    db: Database,
) -> None:
    buyer = uuid.uuid4()
    with tls_receiver(tmp_path) as (url, received, _):
        response = client.post(
            "/api/webhooks/endpoints",
            json={"url": url, "events": ["order.created"]},
            headers=auth(buyer),
        )
        assert response.status_code == 201
        consume(order_event("orders.created", buyer))
        dispatcher.run_once()
    assert received == []
    with db.transaction() as session:
        delivery = session.query(Delivery).one()
        assert delivery.status == "pending"
        assert delivery.last_error is not None
        assert "CERTIFICATE_VERIFY_FAILED" in delivery.last_error


def test_a_trusted_certificate_for_the_hostname_is_delivered_to_over_the_checked_address(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    client: FlaskClient,
    auth: Auth,
    consume: Callable[[Envelope], Outcome],
    dispatcher: Dispatcher,
) -> None:
    buyer = uuid.uuid4()
    with tls_receiver(tmp_path) as (url, received, cert):
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the receiver's CA, as if public
        client.post(
            "/api/webhooks/endpoints",
            json={"url": url, "events": ["order.created"]},
            headers=auth(buyer),
        )
        consume(order_event("orders.created", buyer))
        dispatcher.run_once()
    assert len(received) == 1
