"""The operator role: granted from the command line only, carried as a claim in access tokens.

    python -m api.auth.operators grant EMAIL     (DATABASE_URL: the auth database)
    python -m api.auth.operators revoke EMAIL
    python -m api.auth.operators list

There is no self-service and no HTTP route that grants it. A user's tokens carry
`"roles": ["operator"]` from their next sign-in or refresh; a revoked operator's access token
keeps the claim until it expires (15 minutes at most).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import ForeignKey, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from api.auth.domain import normalise_email
from api.auth.models import Base, User
from common.config import DEFAULT_DATABASE_URL, Env, normalise_database_url
from common.db import Database

OPERATOR = "operator"


class Operator(Base):
    """A user who may use the operators' console (/ops)."""

    __tablename__ = "operators"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    granted_at: Mapped[datetime]


def roles_of(session: Session, user_id: uuid.UUID) -> list[str]:
    """The roles a user's tokens carry."""
    granted = session.scalar(select(Operator.user_id).where(Operator.user_id == user_id))
    return [OPERATOR] if granted else []


def _user_id(session: Session, email: str) -> uuid.UUID:
    user_id = session.scalar(select(User.id).where(User.email == normalise_email(email)))
    if user_id is None:
        raise LookupError(f"no user with the email {email!r}")
    return user_id


def grant(db: Database, email: str) -> bool:
    """Make the user an operator; False if they already were."""
    with db.transaction() as session:
        user_id = _user_id(session, email)
        added = session.scalar(
            insert(Operator)
            .values(user_id=user_id, granted_at=datetime.now(UTC))
            .on_conflict_do_nothing()
            .returning(Operator.user_id)
        )
        return added is not None


def revoke(db: Database, email: str) -> bool:
    """Take the role away; False if they were not an operator."""
    with db.transaction() as session:
        user_id = _user_id(session, email)
        removed = session.scalar(
            delete(Operator).where(Operator.user_id == user_id).returning(Operator.user_id)
        )
        return removed is not None


def operators(db: Database) -> list[tuple[str, datetime]]:
    """Every operator's email and when the role was granted."""
    with db.transaction() as session:
        rows = session.execute(
            select(User.email, Operator.granted_at)
            .join(Operator, Operator.user_id == User.id)
            .order_by(User.email)
        ).all()
    return [(email, granted_at) for email, granted_at in rows]


USAGE = "usage: python -m api.auth.operators grant EMAIL | revoke EMAIL | list"


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The command line; exit 0 done, 1 unknown user, 2 bad usage."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0], len(args)) not in {("grant", 2), ("revoke", 2), ("list", 1)}:
        print(USAGE, file=sys.stderr)
        return 2
    url = Env(environ).str("DATABASE_URL", DEFAULT_DATABASE_URL)
    db = Database.from_url(normalise_database_url(url))
    try:
        if args[0] == "list":
            for email, granted_at in operators(db):
                print(f"{email}\t{granted_at.isoformat()}")
            return 0
        change = grant if args[0] == "grant" else revoke
        changed = change(db, args[1])
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        db.dispose()
    verb = "granted to" if args[0] == "grant" else "revoked from"
    state = "" if changed else " (no change)"
    print(f"operator role {verb} {args[1]}{state}; it applies from their next sign-in or refresh")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
