"""Use cases of the auth service; each runs in one database transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_jwt_extended import create_access_token, create_refresh_token, decode_token
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth.domain import RefreshOutcome, normalise_email, token_fingerprint
from api.auth.models import RefreshToken, TokenFamily, User
from api.auth.operators import roles_of
from api.auth.passwords import Passwords
from api.auth.ratelimit import SigninLimiter, SignupLimiter
from common.auth.revocation import RevokedFamilies
from common.clock import Clock
from common.db import Database
from common.errors import Conflict, FieldError, Unauthenticated

BAD_CREDENTIALS = "Wrong email or password."


@dataclass(frozen=True)
class Tokens:
    """A freshly issued access + refresh pair."""

    access: str
    refresh: str
    access_expires_in: int


@dataclass(frozen=True)
class SignedIn:
    """A signed-in user and their tokens."""

    user: User
    tokens: Tokens


class AuthService:
    """Sign up, sign in, rotate refresh tokens, sign out."""

    def __init__(
        self,
        db: Database,
        passwords: Passwords,
        limiter: SigninLimiter,
        clock: Clock,
        access_expires_in: int,
        refresh_expires_in: int,
        *,
        signup_limiter: SignupLimiter,
        revocations: RevokedFamilies,
        reuse_grace_seconds: int = 0,
    ) -> None:
        self.db, self.passwords, self.limiter, self.clock = db, passwords, limiter, clock
        self.signup_limiter, self.revocations = signup_limiter, revocations
        self.access_expires_in = access_expires_in
        self.refresh_expires_in = refresh_expires_in
        self.reuse_grace = timedelta(seconds=reuse_grace_seconds)

    def signup(self, email: str, password: str, client_ip: str) -> SignedIn:
        """Create the user and sign them in; 409 when the email is taken (rate limited)."""
        self.signup_limiter.check(client_ip)
        email = normalise_email(email)
        password_hash = self.passwords.hash(password)
        try:
            with self.db.transaction() as session:
                user = User(email=email, password_hash=password_hash, created_at=self.clock.now())
                session.add(user)
                session.flush()
                tokens = self._open_family(session, user)
        except IntegrityError as exc:
            raise Conflict(
                "An account with this email already exists.",
                [FieldError("Already registered.", "email")],
            ) from exc
        return SignedIn(user, tokens)

    def signin(self, email: str, password: str, client_ip: str) -> SignedIn:
        """Check the password (rate limited); the same 401 whether the email exists or not."""
        email = normalise_email(email)
        self.limiter.check(client_ip, email)
        with self.db.transaction() as session:
            user = session.scalar(select(User).where(User.email == email))
            if not self.passwords.verify(user.password_hash if user else None, password):
                user = None
            if user is not None:
                tokens = self._open_family(session, user)
        if user is None:
            self.limiter.failed(client_ip, email)
            raise Unauthenticated(BAD_CREDENTIALS)
        self.limiter.succeeded(client_ip, email)
        return SignedIn(user, tokens)

    def refresh(self, jti: str, family_id: str, user_id: str) -> SignedIn:
        """Rotate a refresh token; a reused one revokes its whole family."""
        with self.db.transaction() as session:
            outcome, user, tokens = self._rotate(session, jti, family_id, user_id)
        if outcome is RefreshOutcome.REUSED:
            self.revocations.revoke(family_id)
            raise Unauthenticated("This refresh token was already used; sign in again.")
        if outcome is not RefreshOutcome.ROTATED or user is None or tokens is None:
            raise Unauthenticated("The refresh token is no longer valid; sign in again.")
        return SignedIn(user, tokens)

    def signout(self, family_id: str | None) -> None:
        """Revoke the token family of this session (no-op when there is none)."""
        family = _uuid(family_id)
        if family is None:
            return
        with self.db.transaction() as session:
            self._revoke(session, family)
        self.revocations.revoke(str(family))

    def family_revoked(self, family_id: str | None) -> bool:
        """True when tokens of this family must be refused."""
        family = _uuid(family_id)
        if family is None:
            return False
        with self.db.transaction() as session:
            row = session.execute(
                select(TokenFamily.revoked_at).where(TokenFamily.id == family)
            ).first()
        return row is None or row.revoked_at is not None

    def _rotate(
        self, session: Session, jti: str, family_id: str, user_id: str
    ) -> tuple[RefreshOutcome, User | None, Tokens | None]:
        fingerprint = token_fingerprint(jti)
        family_uuid = _uuid(family_id)
        token = session.get(RefreshToken, fingerprint)
        # Locking the family serialises concurrent rotations of the same session.
        family = (
            session.get(TokenFamily, family_uuid, with_for_update=True) if family_uuid else None
        )
        if token is None or family is None or token.family_id != family.id:
            return RefreshOutcome.UNKNOWN, None, None
        if str(family.user_id) != user_id:
            return RefreshOutcome.UNKNOWN, None, None
        if family.revoked_at is not None:
            return RefreshOutcome.REVOKED, None, None
        now = self.clock.now()
        claimed = session.execute(
            update(RefreshToken)
            .where(RefreshToken.fingerprint == fingerprint, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
        first_use = claimed.rowcount == 1  # type: ignore[attr-defined]  # an UPDATE's Result has rowcount
        if not first_use and not self._just_rotated(session, fingerprint, now):
            self._revoke(session, family.id)
            return RefreshOutcome.REUSED, None, None
        user = session.get(User, family.user_id)
        if user is None:
            return RefreshOutcome.UNKNOWN, None, None
        return RefreshOutcome.ROTATED, user, self._issue(session, user, family.id)

    def _just_rotated(self, session: Session, fingerprint: str, now: datetime) -> bool:
        """Whether the token was rotated within the grace period (read under the family lock)."""
        used_at = session.scalar(
            select(RefreshToken.used_at).where(RefreshToken.fingerprint == fingerprint)
        )
        return bool(self.reuse_grace) and used_at is not None and now - used_at <= self.reuse_grace

    def _open_family(self, session: Session, user: User) -> Tokens:
        family = TokenFamily(user_id=user.id, created_at=self.clock.now())
        session.add(family)
        session.flush()
        return self._issue(session, user, family.id)

    def _issue(self, session: Session, user: User, family_id: uuid.UUID) -> Tokens:
        identity = str(user.id)
        claims: dict[str, object] = {"email": user.email, "fam": str(family_id)}
        roles = roles_of(session, user.id)
        if roles:
            claims["roles"] = roles
        access = create_access_token(identity, additional_claims=claims)
        refresh = create_refresh_token(identity, additional_claims=claims)
        jti = decode_token(refresh)["jti"]
        now = self.clock.now()
        session.add(
            RefreshToken(
                fingerprint=token_fingerprint(jti),
                family_id=family_id,
                issued_at=now,
                expires_at=now + timedelta(seconds=self.refresh_expires_in),
            )
        )
        return Tokens(access, refresh, self.access_expires_in)

    def _revoke(self, session: Session, family_id: uuid.UUID) -> None:
        session.execute(
            update(TokenFamily)
            .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
            .values(revoked_at=self.clock.now())
        )


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
