"""The table of HTTP services and workers the local stack runs (add a line to add one)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT_BASE = 8100
STRIPE_STANDIN_PORT_OFFSET = 11  # the Stripe stand-in listens on PORT_BASE + 11 (8111)


def module_exists(module: str) -> bool:
    """Whether `module` exists, without running its package's __init__ (find_spec would)."""
    package, _, name = module.rpartition(".")
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:
        return False
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(
        (Path(folder) / f"{name}.py").is_file() or (Path(folder) / name / "__init__.py").is_file()
        for folder in spec.submodule_search_locations
    )


@dataclass(frozen=True)
class Service:
    """An HTTP service run by gunicorn from its app factory."""

    name: str
    app: str
    port_offset: int
    prefix: str | None = None
    has_database: bool = False
    signs_tokens: bool = False
    # gunicorn: processes, worker class ("gthread" or "sync") and threads per gthread worker.
    # One gthread worker is not what limits a service on a small machine: on 2 CPUs, order
    # creation through NGINX (bench/order_creation.py, 32 clients, every relay and consumer
    # running) made 162-200 orders/s with 1x8 (five runs), 171-174 with 2x8, 168 with 4x8,
    # 121 with 2x4 and 86 with sync x4, while the orders worker used about half a CPU: the
    # CPUs go to PostgreSQL and the event consumers too (~16 ms of CPU per order in all).
    # Each extra worker costs ~60-70 MiB (PSS) and up to `threads` more connections to a
    # PostgreSQL that allows 100. On a machine with more CPUs, raise `workers` here.
    workers: int = 1
    worker_class: str = "gthread"
    threads: int = 8

    @property
    def module(self) -> str:
        return self.app.partition(":")[0]

    def port(self, base: int = DEFAULT_PORT_BASE) -> int:
        return base + self.port_offset

    def present(self) -> bool:
        """Whether the service has been written yet."""
        return module_exists(self.module)

    def has_migrations(self, project_root: Path) -> bool:
        return self.has_database and (project_root / "migrations" / self.name).is_dir()


@dataclass(frozen=True)
class Worker:
    """A long-running non-HTTP process (Dramatiq workers, the outbox relay, event consumers)."""

    name: str
    module: str
    args: tuple[str, ...]
    service: str | None = None
    stripe_standin: bool = False  # runs only when no real Stripe key is configured

    def present(self) -> bool:
        return module_exists(self.module)


def relay(service: str) -> Worker:
    """The outbox relay of one service's database."""
    return Worker(f"{service}-relay", "workers.relay", ("-m", "workers.relay", service), service)


def process(name: str, module: str, service: str | None) -> Worker:
    """A long-running `python -m module`."""
    return Worker(name, module, ("-m", module), service)


def dramatiq_worker(name: str, module: str, service: str | None) -> Worker:
    """A Dramatiq worker process running the actors of `module`."""
    args = ("-m", "dramatiq", module, "--processes", "1", "--threads", "4")
    return Worker(name, module, args, service)


# web owns every path the API prefixes do not; ports are DEFAULT_PORT_BASE + offset.
SERVICES: tuple[Service, ...] = (
    Service("web", "web.app:create_app()", 0),
    Service("auth", "api.auth.app:create_app()", 1, "/api/users", True, signs_tokens=True),
    Service("tickets", "api.tickets.app:create_app()", 2, "/api/tickets", True),
    Service("orders", "api.orders.app:create_app()", 3, "/api/orders", True),
    Service("payments", "api.payments.app:create_app()", 4, "/api/payments", True),
    Service("webhooks", "api.webhooks.app:create_app()", 5, "/api/webhooks", True),
)

# Each runs as `python ARGS` with the environment of `service` (its DATABASE_URL); a worker
# whose module is not written yet is left out.
WORKERS: tuple[Worker, ...] = (
    relay("tickets"),
    process("tickets-consumer", "workers.tickets.consumer", "tickets"),
    relay("orders"),
    process("orders-consumer", "workers.orders.consumer", "orders"),
    process("orders-sweep", "workers.orders.sweep", "orders"),
    relay("payments"),
    process("payments-consumer", "workers.payments.consumer", "payments"),
    process("payments-reconciler", "workers.payments.reconciler", "payments"),
    dramatiq_worker("payments-actors", "workers.payments.actors", "payments"),
    process("expiration-scheduler", "workers.expiration.scheduler", None),
    dramatiq_worker("expiration-actors", "workers.expiration.actors", None),
    process("webhooks-consumer", "workers.webhooks.consumer", "webhooks"),
    process("webhooks-dispatcher", "workers.webhooks.dispatcher", "webhooks"),
    Worker("stripe", "devtools.stripe_standin", ("-m", "devtools.stripe_standin"), None, True),
)
