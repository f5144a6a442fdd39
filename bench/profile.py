"""py-spy profiles of the stack's hot processes under the order (or purchase) load.

Brings the platform up as bench/order_creation.py does, keeps the buyers ordering (or
buying, with --pay) in a background thread, and meanwhile samples each named process with
`py-spy record --format raw` for --seconds: non-idle threads (waits in C for the database
count as busy there), or with --gil only samples that hold the GIL (Python's own CPU). For
each process it writes the collapsed stacks to --out and prints the functions that hold the
most samples, by self time and by inclusive time in the project's own code and its libraries.
bench/PROFILE.md summarises what these showed and what was done about it.

    .venv/bin/python -m bench.profile [--pay] [--seconds 20] [--processes orders,tickets-consumer]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from bench.buyers import drive_orders, drive_purchases
from bench.load import GATEWAY_INFLIGHT, sign_up_many
from bench.order_creation import UNREACHED_LIMITS, seed
from bench.stack import running_stack

HOT = (
    "orders,payments,tickets-consumer,orders-consumer,webhooks-consumer,payments-consumer,"
    "expiration-scheduler,orders-relay,expiration-actors,honcho"
)


def summary(raw: Path, top: int) -> list[str]:
    """The `top` frames by self samples, then by inclusive samples, of one raw profile."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame.split(" (")[0] + " " + _where(frame) for frame in stack.split(";")[1:]]
        n = int(count)
        total += n
        if frames:
            own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    if not total:
        return ["  (no samples: the process was idle)"]
    lines = [f"  {total} samples; self:"]
    lines += [f"    {n * 100 / total:5.1f}%  {frame}" for frame, n in own.most_common(top)]
    lines.append("  inclusive:")
    lines += [
        f"    {n * 100 / total:5.1f}%  {frame}"
        for frame, n in inclusive.most_common(top * 3)
        if n < total
    ][: top * 2]
    return lines


def _where(frame: str) -> str:
    """`file:line` of a py-spy frame, trimmed to the package path."""
    inside = frame.partition(" (")[2].rstrip(")")
    for marker in ("site-packages/", "/h14/", "/ticketing/"):
        if marker in inside:
            return "(" + inside.rpartition(marker)[2] + ")"
    return "(" + inside.rsplit("/", 2)[-1] + ")" if inside else ""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pay", action="store_true", help="whole purchases, not orders")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--clients", type=int, default=GATEWAY_INFLIGHT)
    parser.add_argument("--orders", type=int, default=8000, help="more than --seconds needs")
    parser.add_argument("--processes", default=HOT, help="comma-separated Procfile names")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument(
        "--gil", action="store_true", help="only samples holding the GIL: Python's own CPU"
    )
    parser.add_argument("--out", type=Path, help="folder for the raw profiles (a new one)")
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    args.out = args.out or Path(tempfile.mkdtemp(prefix="ticketing-profiles-"))
    args.out.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    with running_stack(extra_env=UNREACHED_LIMITS) as stack:
        users = asyncio.run(sign_up_many(stack.gateway_url, 0, args.clients + 4, tag))
        buyers = [(user.index, user.token) for user in users[: args.clients]]
        tickets = seed(stack, "replica", users[args.clients :], args.orders, tag)
        run = drive_purchases if args.pay else drive_orders
        load = threading.Thread(
            target=run, args=(stack.gateway_url, buyers, tickets, "load"), daemon=True
        )
        load.start()
        time.sleep(3)  # past the start-up of the load
        named = stack.processes()
        recorders = {}
        for name in args.processes.split(","):
            pids = named.get(name, [])
            if not pids:
                print(f"{name}: not running")
                continue
            # gunicorn: its worker (the last child) does the work; others: the process.
            pid = pids[-1] if name in ("orders", "payments", "tickets") else pids[0]
            raw = args.out / f"{name}.txt"
            recorders[name] = (
                raw,
                subprocess.Popen(
                    [py_spy, "record", "-p", str(pid), "-d", str(args.seconds), "-r",
                     str(args.rate), "--format", "raw", "-o", str(raw), "--nonblocking",
                     *(["--gil"] if args.gil else [])],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
            )  # fmt: skip
        for name, (raw, recorder) in recorders.items():
            recorder.wait()
            print(f"{name} ({raw}):")
            for line in summary(raw, args.top) if raw.exists() else ["  (no profile)"]:
                print(line)
        print(f"load still running: {load.is_alive()} (if not, raise --orders)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
