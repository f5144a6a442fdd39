"""Render the NGINX gateway configuration for a route table into a run directory."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jinja2

from deploy.gateway.problems import GATEWAY_PROBLEMS, problem_body
from deploy.gateway.routes import API_NAMESPACE, UNROUTED_PATHS, RouteTable, Upstream

TEMPLATE = Path(__file__).with_name("nginx.conf.j2")
TEMP_FOLDERS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
# Content types of the files NGINX serves from disk (the config loads no mime.types file).
STATIC_TYPES = {
    "text/css": "css",
    "application/javascript": "js mjs",
    "application/json": "json map",
    "text/plain": "txt",
    "image/svg+xml": "svg",
    "image/png": "png",
    "image/jpeg": "jpg jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/x-icon": "ico",
    "font/woff2": "woff2",
    "font/woff": "woff",
}


@dataclass(frozen=True)
class StaticFiles:
    """Files NGINX serves itself: `url_path`/NAME is `folder`/NAME."""

    url_path: str
    folder: Path
    max_age_seconds: int = 3600


# Flask's defaults in web/app.py: static_url_path "/static", static_folder web/static.
WEB_STATIC = StaticFiles("/static", Path(__file__).resolve().parents[2] / "web" / "static")


@dataclass(frozen=True)
class Sizing:
    """How much of a burst the gateway holds (docs/on-sale.md: where requests wait)."""

    worker_connections: int = 16384
    open_files: int = 65536
    backlog: int = 4096  # Linux caps it at net.core.somaxconn (4096 by default since 5.4)
    upstream_keepalive: int = 64
    # Requests at one service at once: a gthread worker's 8 threads, and as many waiting. At
    # the 60-190 reservations/s this shared 2-core machine decides, the last starts within
    # ~0.15-0.3 s (64 and 32 let p99 pass 1 s under load; docs/on-sale.md).
    upstream_inflight: int = 16


# The gateway's own "try again" answers: the service is down, restarting or too slow.
RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class NamedUpstream:
    """An `upstream` block of the configuration."""

    name: str
    address: str


def _upstream_name(upstream: Upstream) -> str:
    return "upstream_" + upstream.address.replace(".", "_").replace(":", "_")


def render_config(
    routes: RouteTable,
    port: int,
    timeout_seconds: int = 60,
    static: StaticFiles | None = WEB_STATIC,
    page_cache: Path = Path("tmp/pages"),
    sizing: Sizing = Sizing(),
    access_log: Path | None = None,
) -> str:
    """The nginx.conf text that routes like `deploy.gateway` with this table (+ static files).

    The access log goes to stdout (containers), or buffered to the file `access_log`: a
    supervisor that relays every line of its children's output then has none per request.
    """
    upstreams = {route.upstream for route in routes.routes} | {routes.default}
    environment = jinja2.Environment(  # noqa: S701 - renders an NGINX config, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    template = environment.from_string(TEMPLATE.read_text())
    return template.render(
        port=port,
        timeout_seconds=timeout_seconds,
        api_namespace=API_NAMESPACE,
        unrouted_paths=sorted(UNROUTED_PATHS),
        upstreams=[
            NamedUpstream(_upstream_name(upstream), upstream.address)
            for upstream in sorted(upstreams, key=lambda upstream: upstream.address)
        ],
        routes=[
            {"prefix": route.prefix, "upstream": _upstream_name(route.upstream)}
            for route in routes.routes
        ],
        default_upstream=_upstream_name(routes.default),
        problems={status: problem_body(status).decode() for status in GATEWAY_PROBLEMS},
        static=static,
        static_types=STATIC_TYPES,
        page_cache=page_cache,
        sizing=sizing,
        retry_statuses=RETRY_STATUSES,
        access_log=access_log,
    )


def write_config(
    prefix: Path,
    routes: RouteTable,
    port: int,
    timeout_seconds: int = 60,
    static: StaticFiles | None = WEB_STATIC,
    access_log: Path | None = None,
) -> Path:
    """Write nginx.conf and its temp folders under `prefix` (NGINX's -p); return the file."""
    for folder in TEMP_FOLDERS:
        (prefix / "tmp" / folder).mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    page_cache = page_cache_folder(prefix)
    config.write_text(
        render_config(routes, port, timeout_seconds, static, page_cache, access_log=access_log)
    )
    return config


def page_cache_folder(prefix: Path) -> Path:
    """Where NGINX's workers keep cached pages: writable by them even when they run as nobody.

    Started as root, NGINX's workers drop to an unprivileged user that may not enter `prefix`
    (a private run or test folder), so the cache lives in its own open folder under /tmp.
    """
    folder = page_cache_path(prefix)
    folder.mkdir(exist_ok=True)
    folder.chmod(0o777)  # NGINX workers write here; it holds only public anonymous pages
    return folder


def remove_page_cache(prefix: Path) -> None:
    """Delete the page cache of the NGINX run from `prefix`, once that NGINX has stopped."""
    shutil.rmtree(page_cache_path(prefix), ignore_errors=True)


def page_cache_path(prefix: Path) -> Path:
    """The page cache folder of the NGINX run from `prefix` (one per prefix, under /tmp)."""
    digest = hashlib.sha256(str(prefix.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"ticketing-nginx-pages-{digest}"


def nginx_command(nginx: str, config: Path) -> list[str]:
    """Run NGINX in the foreground with this configuration (its folder is the prefix)."""
    prefix = config.parent
    return [nginx, "-e", "stderr", "-p", f"{prefix}/", "-c", str(config), "-g", "daemon off;"]
