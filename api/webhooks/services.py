"""Use cases of the webhooks API: endpoints of a user, their secrets and delivery logs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from api.webhooks.config import WebhooksSettings
from api.webhooks.models import Attempt, Delivery, Endpoint
from api.webhooks.signing import new_secret
from api.webhooks.targets import TargetRefused, parse_target, resolve
from common.clock import Clock
from common.db import Database
from common.errors import FieldError, Forbidden, NotFound, ValidationFailed

MAX_ENDPOINTS_PER_USER = 16
DELIVERIES_SHOWN = 50


@dataclass(frozen=True)
class DeliveryLog:
    """A delivery with its attempts, newest first."""

    delivery: Delivery
    attempts: list[Attempt]


class WebhookService:
    """Registers endpoints (checking their URL), rolls secrets, shows and resends deliveries."""

    def __init__(self, db: Database, settings: WebhooksSettings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    def check_url(self, url: str) -> str:
        """The URL if deliveries may go there now; 422 naming `url` otherwise."""
        try:
            target = parse_target(url, require_https=self.settings.require_https)
            resolve(target, allow_private=self.settings.allow_private_targets)
        except TargetRefused as exc:
            raise ValidationFailed(errors=[FieldError(str(exc), "url")]) from exc
        return url.strip()

    def create(self, user_id: uuid.UUID, url: str, events: list[str], description: str) -> Endpoint:
        """Register an endpoint with a fresh secret (the only time the secret is shown)."""
        checked = self.check_url(url)
        now = self.clock.now()
        with self.db.transaction() as session:
            count = session.scalar(
                sa.select(sa.func.count()).select_from(Endpoint).where(Endpoint.user_id == user_id)
            )
            if (count or 0) >= MAX_ENDPOINTS_PER_USER:
                raise ValidationFailed(f"At most {MAX_ENDPOINTS_PER_USER} endpoints per account.")
            endpoint = Endpoint(
                id=uuid.uuid4(),
                user_id=user_id,
                url=checked,
                description=description,
                events=sorted(set(events)),
                secret=new_secret(),
                previous_secret=None,
                previous_secret_expires_at=None,
                created_at=now,
                updated_at=now,
            )
            session.add(endpoint)
        return endpoint

    def list_mine(self, user_id: uuid.UUID) -> list[Endpoint]:
        with self.db.transaction() as session:
            return list(
                session.scalars(
                    sa.select(Endpoint)
                    .where(Endpoint.user_id == user_id)
                    .order_by(Endpoint.created_at.desc(), Endpoint.id)
                )
            )

    def get_mine(self, user_id: uuid.UUID, endpoint_id: uuid.UUID) -> Endpoint:
        with self.db.transaction() as session:
            return _owned(session, user_id, endpoint_id)

    def update(
        self,
        user_id: uuid.UUID,
        endpoint_id: uuid.UUID,
        url: str,
        events: list[str],
        description: str,
    ) -> Endpoint:
        """Change where an endpoint is and what it receives (its secret stays)."""
        checked = self.check_url(url)
        with self.db.transaction() as session:
            endpoint = _owned(session, user_id, endpoint_id, lock=True)
            endpoint.url, endpoint.events = checked, sorted(set(events))
            endpoint.description, endpoint.updated_at = description, self.clock.now()
        return endpoint

    def delete(self, user_id: uuid.UUID, endpoint_id: uuid.UUID) -> None:
        """Remove an endpoint and its pending deliveries."""
        with self.db.transaction() as session:
            session.delete(_owned(session, user_id, endpoint_id, lock=True))

    def roll_secret(
        self, user_id: uuid.UUID, endpoint_id: uuid.UUID, keep_previous: timedelta
    ) -> Endpoint:
        """A new secret; deliveries are signed with the old one too for `keep_previous`."""
        now = self.clock.now()
        with self.db.transaction() as session:
            endpoint = _owned(session, user_id, endpoint_id, lock=True)
            if keep_previous > timedelta(0):
                endpoint.previous_secret = endpoint.secret
                endpoint.previous_secret_expires_at = now + keep_previous
            else:
                endpoint.previous_secret = endpoint.previous_secret_expires_at = None
            endpoint.secret, endpoint.updated_at = new_secret(), now
        return endpoint

    def deliveries(self, user_id: uuid.UUID, endpoint_id: uuid.UUID) -> list[DeliveryLog]:
        """The endpoint's latest deliveries, each with its attempts."""
        with self.db.transaction() as session:
            _owned(session, user_id, endpoint_id)
            found = list(
                session.scalars(
                    sa.select(Delivery)
                    .where(Delivery.endpoint_id == endpoint_id)
                    .order_by(Delivery.created_at.desc(), Delivery.id)
                    .limit(DELIVERIES_SHOWN)
                )
            )
            attempts: dict[uuid.UUID, list[Attempt]] = {d.id: [] for d in found}
            for attempt in session.scalars(
                sa.select(Attempt)
                .where(Attempt.delivery_id.in_(list(attempts)))
                .order_by(Attempt.id.desc())
            ):
                attempts[attempt.delivery_id].append(attempt)
        return [DeliveryLog(d, attempts[d.id]) for d in found]

    def resend(
        self, user_id: uuid.UUID, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
    ) -> Delivery:
        """Send a delivery again now (whatever its state), with another day of retries."""
        now = self.clock.now()
        with self.db.transaction() as session:
            _owned(session, user_id, endpoint_id)
            delivery = session.get(Delivery, delivery_id, with_for_update=True)
            if delivery is None or delivery.endpoint_id != endpoint_id:
                raise NotFound("No such delivery.")
            delivery.status, delivery.next_attempt_at = "pending", now
            delivery.give_up_at, delivery.updated_at = now + self.settings.retry_for, now
        return delivery


def _owned(
    session: sa.orm.Session, user_id: uuid.UUID, endpoint_id: uuid.UUID, lock: bool = False
) -> Endpoint:
    endpoint = session.get(Endpoint, endpoint_id, with_for_update=lock)
    if endpoint is None:
        raise NotFound("No such webhook endpoint.")
    if endpoint.user_id != user_id:
        raise Forbidden("This webhook endpoint is someone else's.")
    return endpoint
