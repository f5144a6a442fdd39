"""Tables of the auth service: users, refresh-token families and their tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from common.db import TYPE_ANNOTATION_MAP, service_metadata


class Base(DeclarativeBase):
    """Declarative base of the auth database."""

    metadata = service_metadata()
    type_annotation_map = TYPE_ANNOTATION_MAP


class User(Base):
    """Someone who can sign in; buys and sells tickets."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]


class TokenFamily(Base):
    """The chain of refresh tokens born from one sign-in; revoked as a whole."""

    __tablename__ = "token_families"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class RefreshToken(Base):
    """One single-use refresh token, stored only as a hash of its id."""

    __tablename__ = "refresh_tokens"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("token_families.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
