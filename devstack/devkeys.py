"""Development secrets made on the first start: the JWT key pair and the web SECRET_KEY."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from common.config import DEV_KEY_MARKER
from devstack.files import write_private

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

# The kernel refuses keys containing the marker in production; PEM readers skip this line.
MARKER_LINE = f"{DEV_KEY_MARKER}: never use in production\n"


@dataclass(frozen=True)
class DevSecrets:
    """Where the key pair is and the SECRET_KEY value."""

    private_key_file: Path
    public_key_file: Path
    secret_key: str


def new_key_pair() -> tuple[str, str]:
    """A fresh RS256 key pair as PEM text: (private PKCS#8, public SubjectPublicKeyInfo)."""
    # Imported only when a key is made: honcho forks `up` once per process, so it stays small.
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return private_pem.decode(), _public_pem(key)


def _public_pem(key: PrivateKeyTypes) -> str:
    from cryptography.hazmat.primitives import serialization

    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return public.decode()


def _ensure_key_pair(private_file: Path, public_file: Path) -> None:
    if private_file.exists() and public_file.exists():
        return
    if private_file.exists():
        from cryptography.hazmat.primitives import serialization

        pem = private_file.read_bytes().split(b"\n", 1)[1]
        public_pem = _public_pem(serialization.load_pem_private_key(pem, password=None))
    else:
        private_pem, public_pem = new_key_pair()
        write_private(private_file, MARKER_LINE + private_pem)
    public_file.write_text(MARKER_LINE + public_pem)


def ensure_dev_secrets(run_dir: Path) -> DevSecrets:
    """Create the keys and secret under `run_dir` unless they exist (they are never replaced)."""
    keys, secrets_dir = run_dir / "keys", run_dir / "secrets"
    for folder in (keys, secrets_dir):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)
    private_file, public_file = keys / "jwt-private.pem", keys / "jwt-public.pem"
    _ensure_key_pair(private_file, public_file)
    secret_file = secrets_dir / "secret_key"
    if not secret_file.exists():
        write_private(secret_file, secrets.token_urlsafe(48))
    return DevSecrets(private_file, public_file, secret_file.read_text().strip())
