"""The project's global Dramatiq broker: actor modules import `broker` from here first.

Dramatiq binds actors to the global broker when their module is imported. Creating the broker
opens no connection.
"""

from __future__ import annotations

import dramatiq

from common.broker import broker_from_env, broker_namespace, broker_redis_url

__all__ = ["broker", "broker_namespace", "broker_redis_url"]

broker = broker_from_env()
dramatiq.set_broker(broker)
