"""The client's address as the platform's own web saw it, vouched for with the shared secret.

A browser's reservation reaches the orders service through the web, so the address the
service sees (after TRUSTED_PROXIES hops) is the web's. The web, which saw the browser's
address, sends it in X-Client-Address with an HMAC of it under SECRET_KEY (every service of
a release shares it); a service takes the vouched address and ignores one without a valid
signature, so a client cannot choose the address its attempts count against.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request

CLIENT_ADDRESS_HEADER = "X-Client-Address"
SIGNATURE_HEADER = "X-Client-Address-Signature"
_CONTEXT = b"ticketing client address\0"


def _signature(address: str, secret: str) -> str:
    return hmac.new(secret.encode(), _CONTEXT + address.encode(), hashlib.sha256).hexdigest()


def vouch(address: str, secret: str) -> dict[str, str]:
    """The headers that tell the services whose request this is."""
    return {CLIENT_ADDRESS_HEADER: address, SIGNATURE_HEADER: _signature(address, secret)}


def client_address() -> str | None:
    """The vouched-for client address of the request in hand, else the one the service sees."""
    address = request.headers.get(CLIENT_ADDRESS_HEADER, "")
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if address and signature and len(address) <= 64:
        expected = _signature(address, str(current_app.config["SECRET_KEY"]))
        if hmac.compare_digest(expected, signature):
            return address
    return request.remote_addr
