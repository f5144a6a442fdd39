"""Home page throughput through NGINX, next to NGINX serving a static file of the same size.

Brings the platform up the way `make up` does (NGINX gateway, the machine's PostgreSQL,
Redis and NATS, its own databases and stream), lists 1,000 tickets through the API, then runs
`wrk --latency` with 32 connections for 10 s against `/` (the rendered home page: web ->
tickets API -> PostgreSQL) and, in the same run, against a second NGINX with the same
configuration serving a file as large as that page from disk. Prints requests/s, p50, p99
and the ratios. Goal: the home page's p99 under 100 ms.

    apt-get install -y wrk nginx
    .venv/bin/python -m bench.home_page [--connections 32] [--duration 10] [--tickets 1000]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from deploy.gateway.routes import RouteTable, Upstream
from deploy.nginx.render import StaticFiles, nginx_command, write_config
from devstack.gateway_process import find_nginx
from devstack.processes import wait_for_port
from devstack.running_stack import RunningStack, free_block, running_stack

GOAL_P99_MS = 100.0
SEED_THREADS = 8
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured."""

    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]  # wrk always prints a unit
    return float(number) * UNITS_MS[unit]


def wrk(url: str, connections: int, duration: int, threads: int) -> WrkResult:
    """Run wrk against `url` and read its summary."""
    output = subprocess.run(
        ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    percentiles = dict(re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", output, re.MULTILINE))
    total = re.search(r"^\s+(\d+) requests in", output, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    if not (total and rate and "50" in percentiles and "99" in percentiles):
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return WrkResult(
        requests_per_second=float(rate.group(1)),
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        requests=int(total.group(1)),
        errors=errors,
    )


def seed_tickets(stack: RunningStack, count: int) -> None:
    """List `count` tickets through the tickets API as one seller (a bearer token)."""
    email = f"bench-{uuid.uuid4().hex[:12]}@example.com"
    credentials = {"email": email, "password": "correct horse battery"}
    requests.post(f"{stack.url}/api/users/signup", json=credentials, timeout=10).raise_for_status()
    tokens = requests.post(f"{stack.url}/api/users/tokens", json=credentials, timeout=10)
    tokens.raise_for_status()
    headers = {"Authorization": f"Bearer {tokens.json()['accessToken']}"}

    def sell(number: int) -> None:
        ticket = {"title": f"Bench concert, seat {number}", "price": f"{10 + number % 90}.50"}
        response = requests.post(
            f"{stack.url}/api/tickets", json=ticket, headers=headers, timeout=10
        )
        if response.status_code != 201:
            raise RuntimeError(f"listing a ticket: {response.status_code} {response.text[:300]}")

    with ThreadPoolExecutor(SEED_THREADS) as pool:
        list(pool.map(sell, range(1, count + 1)))


@contextmanager
def static_nginx(size: int, folder: Path) -> Iterator[str]:
    """A second NGINX, configured like the gateway, serving a `size`-byte page from disk."""
    nginx = find_nginx()
    assert nginx is not None
    static = folder / "static"
    static.mkdir(parents=True)
    (static / "page.html").write_bytes(b"<!doctype html>" + b"x" * (size - 15))
    for path in (folder, static, static / "page.html"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # NGINX workers may run as nobody
    port = free_block()
    # No request of the benchmark reaches an upstream: the web default is a port nobody serves.
    routes = RouteTable((), Upstream("127.0.0.1", 9))
    config = write_config(folder / "nginx", routes, port, static=StaticFiles("/static", static))
    with (folder / "nginx.log").open("wb") as log:
        process = subprocess.Popen(nginx_command(nginx, config), stdout=log, stderr=log)
    try:
        wait_for_port(port, process)
        url = f"http://127.0.0.1:{port}/static/page.html"
        served = requests.get(url, headers={"Accept-Encoding": "identity"}, timeout=5)
        if served.status_code != 200 or len(served.content) != size:
            raise RuntimeError(
                f"the static NGINX answers {served.status_code}: {served.text[:200]}"
            )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    """Bring up the stack, seed it, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--tickets", type=int, default=1000)
    args = parser.parse_args()
    if shutil.which("wrk") is None or find_nginx() is None:
        raise SystemExit("needs wrk and nginx: apt-get install -y wrk nginx")

    with tempfile.TemporaryDirectory(prefix="bench-home-") as scratch:
        folder = Path(scratch)
        folder.chmod(0o755)  # NGINX workers (nobody when started by root) read the static file
        print("bringing the stack up (python -m devstack.up, NGINX gateway) ...", flush=True)
        with running_stack(folder / "run") as stack:
            print(f"seeding {args.tickets} tickets through the API ...", flush=True)
            seed_tickets(stack, args.tickets)
            home = requests.get(
                f"{stack.url}/", headers={"Accept-Encoding": "identity"}, timeout=10
            )
            home.raise_for_status()
            size = len(home.content)
            shown = home.text.count('class="card"')
            print(f"home page: {size} bytes, {shown} tickets shown", flush=True)

            with static_nginx(size, folder / "static-nginx") as static_url:
                for url in (f"{stack.url}/", static_url):  # warm up connections and caches
                    wrk(url, args.connections, 2, args.threads)
                page = wrk(f"{stack.url}/", args.connections, args.duration, args.threads)
                static = wrk(static_url, args.connections, args.duration, args.threads)

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print()
    print(f"wrk --latency -t {args.threads} -c {args.connections} -d {args.duration}s")
    print(f"machine: {os.cpu_count()} CPUs, load average {load} (wrk shares them with the stack)")
    print(f"{'':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}{'errors':>8}")
    for name, result in (("home page via NGINX -> web", page), ("static file, same size", static)):
        print(
            f"{name:<34}{result.requests_per_second:>10.0f}{result.p50_ms:>10.2f}"
            f"{result.p99_ms:>10.2f}{result.requests:>10}{result.errors:>8}"
        )
    print(
        f"static / home: {static.requests_per_second / page.requests_per_second:.1f}x the "
        f"requests/s, {page.p99_ms / static.p99_ms:.1f}x lower p99"
    )
    verdict = "met" if page.p99_ms < GOAL_P99_MS and page.errors == 0 else "NOT met"
    print(f"goal p99 < {GOAL_P99_MS:.0f} ms for the home page: {verdict} ({page.p99_ms:.1f} ms)")


if __name__ == "__main__":
    main()
