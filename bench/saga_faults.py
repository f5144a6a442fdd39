"""Fault injection of the purchase saga: ≥ 1,000 sagas while processes die and Redis is wiped.

    .venv/bin/python -m bench.saga_faults [--sagas 1000] [--expiry 8] [--clients 24] [--keep]

1. Brings the whole platform up as `make up` does, on the machine's PostgreSQL, Redis and
   NATS, with databases, a JetStream stream, subjects and a Dramatiq namespace of its own,
   `ORDER_EXPIRATION_SECONDS=--expiry` and `EXPIRATION_SWEEP_SECONDS=1`, and waits for
   "Ticketing is up".

   Why not `python -m devstack.up` itself: honcho stops the whole stack as soon as any
   one process exits (devstack/supervisor.py), and the Dramatiq CLI exits when its
   worker process dies, so the first SIGKILL would end the run. This script starts
   `python -m bench.faults.up` instead: the very same `devstack.up` (infrastructure,
   keys, migrations, Procfile, environment, readiness probes) with honcho swapped for a
   small supervisor (bench/faults/restarter.py) that runs the same Procfile lines and
   restarts whatever dies, as Kubernetes restarts a crashed container. A killed gunicorn
   worker is replaced by its own master.

2. Runs the sagas through the gateway with a pool of concurrent clients (bearer tokens
   from POST /api/users/tokens): a seller lists a ticket, a buyer orders it (404 retried
   while the orders replica learns the ticket), then pays with pm_card_visa (sometimes
   twice at once), pays with pm_card_chargeDeclined, cancels, lets it expire, pays after
   cancelling or after the expiry, pays right at the expiry, or cancels and another buyer
   buys the ticket. Meanwhile, once each, it SIGKILLs the expiration Dramatiq worker
   process, the orders outbox relay, the tickets event consumer and the payments service's
   gunicorn worker (--actors, --relay, --consumer and --service choose others), and wipes
   the stack's Dramatiq namespace in Redis in one atomic step (FLUSHDB would also wipe the
   other runs sharing the machine's Redis database). --stall CONSUMER also freezes that
   consumer (SIGSTOP, SIGCONT after --stall-seconds) halfway through.

3. Waits until the platform is quiet (no unpublished outbox rows, no unpaid orders, no
   pending payments or owed refunds, no unacknowledged events, no webhook in flight;
   bounded), then checks orders, tickets, payments and the Stripe stand-in, and prints

       sagas N, lost L, double charges D, stuck locks S, overdue live orders O

   sagas: orders created (one saga each). lost: sagas whose final state disagrees across
   services (complete but the ticket is not sold to it or no kept charge; cancelled but
   the ticket still held by it or the charge kept; replicas disagreeing; payments and
   Stripe disagreeing; an API answer the final state contradicts). double charges: orders
   with more than one succeeded PaymentIntent, or charged and cancelled without a refund.
   stuck locks: tickets locked by a cancelled or unknown order. overdue live orders:
   orders seen created/awaiting_payment more than --grace seconds past expiresAt, during
   the run (polled every second) or at the end. Exits 1 unless all four are 0. Also
   printed: outcomes per plan, restarts, dead letters, orders charged before their expiry
   yet expired, event lag per consumer (--dump writes each handled event's as CSV), expiry
   lateness and timings.

4. Stops the stack with SIGTERM, drops its databases, deletes its stream and its Redis
   keys, and removes its run directory (kept, with every process's log, when a count is
   not 0 or with --keep).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bench.faults import chaos
from bench.faults.audit import (
    Findings,
    Snapshot,
    check,
    event_lags,
    paid_in_time_but_expired,
    snapshot,
    wait_quiet,
)
from bench.faults.client import Api, User, sign_up
from bench.faults.monitor import OverdueMonitor
from bench.faults.restarter import RESTARTED
from bench.faults.sagas import DECLINED, VISA, Driver, Plan, SagaRecord
from bench.faults.stack import (
    Infrastructure,
    Names,
    Stack,
    start_stack,
    wipe_namespace,
)
from devstack.cleanup import delete_stream, drop_databases


def say(message: str) -> None:
    print(message, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


@dataclass(frozen=True)
class Fault:
    """A fault fired once the given share of the sagas has started."""

    at_fraction: float
    label: str
    fire: Callable[[Stack, float], str]


def kill(target: chaos.Target) -> Callable[[Stack, float], str]:
    def fire(stack: Stack, started: float) -> str:
        done = chaos.kill_one(stack, target, started)
        back = f"replaced after {done.replaced_after:.1f}s" if done.replaced_after else "NOT back"
        return f"SIGKILL {done.label} pid {done.pid} at {done.at:.1f}s: {back}"

    return fire


def wipe_redis(stack: Stack, started: float) -> str:
    deleted = stack.wipe_dramatiq()
    at = time.monotonic() - started
    return f"Redis: {deleted} keys of {stack.names.namespace}:* deleted at {at:.1f}s"


def stall(target: chaos.Target, seconds: float) -> Callable[[Stack, float], str]:
    def fire(stack: Stack, started: float) -> str:
        return chaos.stall_one(stack, target, seconds, started)

    return fire


def faults_of(args: argparse.Namespace) -> list[Fault]:
    """Once each, spread over the run: the chosen Dramatiq worker, relay, consumer, service."""
    actors = chaos.dramatiq_worker(f"workers.{args.actors}.actors")
    consumer = chaos.module_process(f"workers.{args.consumer}.consumer")
    service = chaos.gunicorn_worker(f"api.{args.service}.app:create_app()")
    faults = [
        Fault(0.15, "Dramatiq worker", kill(actors)),
        Fault(0.30, "relay", kill(chaos.module_process("workers.relay", args.relay))),
        Fault(0.45, "Redis", wipe_redis),
        Fault(0.60, "consumer", kill(consumer)),
        Fault(0.75, "service", kill(service)),
    ]
    if args.stall:
        frozen = chaos.module_process(f"workers.{args.stall}.consumer")
        faults.append(Fault(0.50, "stall", stall(frozen, args.stall_seconds)))
    return sorted(faults, key=lambda fault: fault.at_fraction)


class Chaos(threading.Thread):
    """Fires each fault when the driver has started its share of the sagas."""

    def __init__(self, stack: Stack, driver: Driver, total: int, faults: list[Fault]) -> None:
        super().__init__(name="chaos", daemon=True)
        self.stack, self.driver, self.total, self.faults = stack, driver, total, faults
        self.started = time.monotonic()
        self.log: list[str] = []

    def run(self) -> None:
        firing = []
        for fault in self.faults:
            while self.driver.started < fault.at_fraction * self.total:
                time.sleep(0.05)
            # Each in its own thread: a stall must not hold back the faults after it.
            thread = threading.Thread(target=self.fire, args=(fault,), daemon=True)
            thread.start()
            firing.append(thread)
        for thread in firing:
            thread.join()

    def fire(self, fault: Fault) -> None:
        try:
            line = fault.fire(self.stack, self.started)
        except Exception as exc:  # reported, and counted as a fault not injected
            line = f"{fault.label}: NOT injected ({type(exc).__name__}: {exc})"
        self.log.append(line)
        say(f"    fault: {line}")


def broken_promises(records: list[SagaRecord], snap: Snapshot) -> tuple[dict[str, str], int]:
    """Orders whose final state contradicts what the API told the client; refunds after a 201."""
    broken: dict[str, str] = {}
    refunded_after_success = 0
    for record in records:
        for step, order_id, status in record.answers:
            order = snap.orders.get(order_id)
            if not order_id:
                continue
            if order is None:
                broken[order_id] = f"{step} answered {status}, the order does not exist"
                continue
            final = order.status
            if step == f"pay:{DECLINED}" and status == 402 and final != "cancelled":
                broken[order_id] = f"declined (402) but the order is {final}"
            elif step == f"pay:{VISA}" and status == 201 and final != "complete":
                refunded = [
                    p for p in snap.payments if p.order_id == order_id and p.status == "refunded"
                ]
                if final == "cancelled" and refunded:
                    refunded_after_success += 1
                else:
                    broken[order_id] = f"paid (201) but the order is {final}, not refunded"
            elif step == "cancel" and status == 200 and final != "cancelled":
                broken[order_id] = f"cancelled (200) but the order is {final}"
    return broken, refunded_after_success


def final_outcome(snap: Snapshot, order_id: str) -> str:
    """An order's end as one word or two: complete, cancelled (why), and refunded if it was."""
    order = snap.orders.get(order_id)
    if order is None:
        return "missing"
    refunded = any(p.order_id == order_id and p.status == "refunded" for p in snap.payments)
    end = order.status if order.status != "cancelled" else f"cancelled ({order.reason})"
    return end + (" + refunded" if refunded else "")


def outcome_lines(records: list[SagaRecord], snap: Snapshot) -> list[str]:
    """Per plan: how many, how their orders ended, and what the API answered."""
    lines = ["outcomes by plan (final state of each order; API answers):"]
    for plan in Plan:
        mine = [record for record in records if record.plan is plan]
        if not mine:
            continue
        ends = Counter(
            ("2nd buyer: " if index else "") + final_outcome(snap, order_id)
            for record in mine
            for index, order_id in enumerate(record.order_ids)
        )
        answers = Counter(
            f"{step.removeprefix('pay:pm_card_')} {status}"
            for record in mine
            for step, _, status in record.answers
        )
        lines.append(
            f"  {plan.value} {len(mine)}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(ends.items()))
            + "; "
            + ", ".join(f"{k}: {v}" for k, v in sorted(answers.items()))
        )
    return lines


def report(
    records: list[SagaRecord],
    snap: Snapshot,
    found: Findings,
    monitor: OverdueMonitor,
    timings: dict[str, float],
) -> int:
    """Print the figures and the summary line; the number of problems."""
    for line in outcome_lines(records, snap):
        say(line)
    errors = Counter((record.error or "").split(":")[0] for record in records if record.error)
    if errors:
        say("saga errors: " + ", ".join(f"{k} {v}" for k, v in errors.most_common()))
        for record in [r for r in records if r.error][:5]:
            say(f"    {record.plan}: {record.error}")
    say("final orders: " + ", ".join(f"{k} {v}" for k, v in sorted(found.final_states.items())))
    reasons = Counter(
        snap.orders[o].reason or "-" for o in snap.orders if snap.orders[o].status == "cancelled"
    )
    say("cancelled because: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
    payments = Counter(payment.status for payment in snap.payments)
    say(
        "payments: "
        + ", ".join(f"{k} {v}" for k, v in sorted(payments.items()))
        + f"; Stripe PaymentIntents {len(snap.intents)}, orders refunded at Stripe "
        f"{found.refunded_orders}, charges without an order {found.orphan_intents}"
    )
    broken, refunded_after_success = broken_promises(records, snap)
    for order_id, why in broken.items():
        found.lost.setdefault(order_id, []).append(f"API promise broken: {why}")
    say(f"paid (201), then refunded as the order was cancelled meanwhile: {refunded_after_success}")
    say(
        "dead letters: "
        + ", ".join(f"{k} {v}" for k, v in snap.dead_letters.items())
        + "; unpublished outbox rows: "
        + ", ".join(f"{k} {v}" for k, v in snap.pending_outbox.items())
    )
    late_pay = paid_in_time_but_expired(snap)
    say(
        f"charged before expiresAt, yet cancelled as expired and refunded: {len(late_pay)} "
        "(the orders service learnt of the payment after its expiry)"
    )
    say("event lag, outbox commit to handled (consumer <- type: n, p50, p95, max):")
    for (consumer, event_type), lags in sorted(event_lags(snap).items()):
        say(
            f"  {consumer} <- {event_type}: {len(lags)}, {percentile(lags, 0.5):.2f}s, "
            f"{percentile(lags, 0.95):.2f}s, {max(lags):.2f}s"
        )
    lateness = [
        (o.updated_at - o.expires_at).total_seconds()
        for o in snap.orders.values()
        if o.status == "cancelled" and o.reason == "expired"
    ]
    say(
        f"expiry lateness (expired orders, {len(lateness)}): p50 {percentile(lateness, 0.5):.2f}s "
        f"p99 {percentile(lateness, 0.99):.2f}s max {max(lateness, default=0):.2f}s; "
        f"overdue monitor: {monitor.polls} polls, {len(monitor.seen)} orders seen overdue"
    )
    order_times = [t for r in records for t in r.order_seconds]
    pay_times = [t for r in records for t in r.pay_seconds]
    say(
        f"timing: up {timings['up']:.1f}s, users {timings['users']:.1f}s, sagas "
        f"{timings['sagas']:.1f}s ({len(records) / max(timings['sagas'], 1e-9):.1f} sagas/s), "
        f"settled in {timings['settle']:.1f}s; order p50 {percentile(order_times, 0.5):.2f}s "
        f"p95 {percentile(order_times, 0.95):.2f}s; pay p50 {percentile(pay_times, 0.5):.2f}s "
        f"p95 {percentile(pay_times, 0.95):.2f}s"
    )
    overdue = found.overdue | monitor.seen
    for order_id, reasons_lost in list(found.lost.items())[:15]:
        say(f"    lost {order_id}: {'; '.join(reasons_lost)}")
    for ticket_id in list(found.stuck_locks)[:10]:
        say(f"    stuck lock: ticket {ticket_id}")
    for order_id in list(found.double_charges)[:10]:
        say(f"    double charge: order {order_id}")
    for order_id in list(overdue)[:10]:
        say(f"    overdue: order {order_id}")
    say(
        f"sagas {len(snap.orders)}, lost {len(found.lost)}, double charges "
        f"{len(found.double_charges)}, stuck locks {len(found.stuck_locks)}, "
        f"overdue live orders {len(overdue)}"
    )
    return len(found.lost) + len(found.double_charges) + len(found.stuck_locks) + len(overdue)


def dump_events(snap: Snapshot, path: Path) -> None:
    """Every handled event as CSV: consumer, type, order, committed and handled (run seconds)."""
    zero = min((e.created_at for e in snap.events.values()), default=None)
    with path.open("w", newline="") as target:
        out = csv.writer(target)
        out.writerow(["consumer", "type", "order_id", "committed_s", "handled_s", "lag_s"])
        for consumer, handled in snap.processed.items():
            for event_id, at in handled.items():
                event = snap.events.get(event_id)
                if event is None or zero is None:
                    continue
                out.writerow(
                    [
                        consumer,
                        event.type,
                        event.order_id or "",
                        f"{(event.created_at - zero).total_seconds():.3f}",
                        f"{(at - zero).total_seconds():.3f}",
                        f"{(at - event.created_at).total_seconds():.3f}",
                    ]
                )
    say(f"==> handled events written to {path}")


def stack_environment(args: argparse.Namespace) -> dict[str, str]:
    """What the run changes in the platform's settings, and why."""
    return {
        "ORDER_EXPIRATION_SECONDS": str(args.expiry),
        "EXPIRATION_SWEEP_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        "TICKETING_GATEWAY": args.gateway,
        "TICKETING_READY_TIMEOUT": "180",  # the machine is shared and busy
        "SIGNIN_IP_LIMIT": "100000",  # every client signs in from 127.0.0.1
        "ARGON2_TIME_COST": "1",  # signing up users is not what is measured
        "ARGON2_MEMORY_KIB": "8192",
        "ARGON2_PARALLELISM": "1",
        "JWT_ACCESS_EXPIRES_SECONDS": "7200",
        # A charge lost with Redis is re-sent after 10 s rather than 60 s.
        "PAYMENTS_STUCK_AFTER_SECONDS": "10",
        "PAYMENTS_RECONCILE_INTERVAL_MS": "2000",
    }


def sign_up_users(api: Api, count: int) -> list[User]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda i: sign_up(api, f"user{i}"), range(count)))


def run(args: argparse.Namespace) -> int:
    infrastructure = Infrastructure.from_environ(args.redis_db)
    names = Names()
    run_dir = Path(tempfile.mkdtemp(prefix=f"saga_faults_{names.tag}_"))
    say(
        f"==> fault run {names.tag}: {args.sagas} sagas, {args.clients} clients, expiry "
        f"{args.expiry}s, databases {names.database_prefix}*, stream {names.stream}, "
        f"Redis {infrastructure.redis_url} namespace {names.namespace}, run dir {run_dir}"
    )
    problems = 1
    stack: Stack | None = None
    try:
        began = time.monotonic()
        stack = start_stack(infrastructure, names, run_dir, stack_environment(args))
        timings = {"up": time.monotonic() - began}
        say(f"==> up at {stack.url} in {timings['up']:.1f}s")
        api = Api(stack.url)
        began = time.monotonic()
        users = sign_up_users(api, args.users)
        timings["users"] = time.monotonic() - began
        driver = Driver(api, users, args.seed)
        plans = driver.plans(args.sagas)
        monitor = OverdueMonitor(stack.database_url("orders"), args.grace)
        monitor.start()
        began = time.monotonic()
        faults = Chaos(stack, driver, len(plans), faults_of(args))
        faults.start()
        say(f"==> running {len(plans)} sagas")
        records = driver.run_all(plans, args.clients)
        timings["sagas"] = time.monotonic() - began
        faults.join(120)
        say(f"==> sagas done in {timings['sagas']:.1f}s; waiting for the platform to settle")
        timings["settle"], busy = wait_quiet(stack, args.settle_timeout, say)
        if busy:
            say(f"==> NOT settled after {args.settle_timeout:.0f}s: {busy}")
        monitor.stop()
        snap = snapshot(stack)
        found = check(snap, timedelta(seconds=args.grace))
        restarts = [line for line in stack.up.lines if line.startswith(RESTARTED)]
        say(f"restarts by the supervisor: {len(restarts)}")
        for line in restarts:
            say(f"    {line}")
        say(f"client retries of transient answers (502/503/504, no answer): {api.transient_total}")
        problems = report(records, snap, found, monitor, timings)
        if args.dump:
            dump_events(snap, args.dump)
        if len(faults.log) < len(faults.faults) or any("NOT" in line for line in faults.log):
            say("==> not every fault was injected as planned (see the fault lines above)")
    finally:
        if stack is not None:
            say(f"==> stopping the stack (SIGTERM): exit {stack.up.stop()}")
        dropped = drop_databases(infrastructure.database_url, names.database_prefix)
        deleted = delete_stream(infrastructure.nats_url, names.stream)
        keys = wipe_namespace(infrastructure, names.namespace)
        say(
            f"==> cleaned up: {len(dropped)} databases dropped, stream deleted: {deleted}, "
            f"{keys} Redis keys deleted"
        )
        if problems and not args.keep:
            say(f"==> logs kept in {run_dir / 'logs'}")
        elif not args.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sagas", type=int, default=1000)
    parser.add_argument("--expiry", type=int, default=8, help="ORDER_EXPIRATION_SECONDS")
    parser.add_argument("--clients", type=int, default=24, help="concurrent API clients")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--grace", type=float, default=5.0, help="seconds past expiresAt")
    parser.add_argument("--settle-timeout", type=float, default=240.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--redis-db", type=int, default=0)
    parser.add_argument("--gateway", default="auto", choices=("auto", "nginx", "python"))
    services = ("auth", "tickets", "orders", "payments")
    parser.add_argument("--actors", default="expiration", choices=("expiration", "payments"))
    parser.add_argument("--relay", default="orders", choices=("tickets", "orders", "payments"))
    parser.add_argument("--consumer", default="tickets", choices=("tickets", "orders", "payments"))
    parser.add_argument("--service", default="payments", choices=services)
    parser.add_argument(
        "--stall", choices=("tickets", "orders", "payments"), help="also freeze this consumer"
    )
    parser.add_argument("--stall-seconds", type=float, default=90.0)
    parser.add_argument("--dump", type=Path, help="write every handled event's lag as CSV")
    parser.add_argument("--keep", action="store_true", help="keep the run dir and its logs")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
