"""The test tiers: which test file is a unit, integration or end-to-end test, and where it goes.

unit: pure code, no server, no subprocess (`make test-fast`). integration: against real
PostgreSQL, Redis, NATS, helm. e2e: real processes (`up`, gunicorn, NGINX, a browser).
A file that matches no pattern is an integration test. Once the suite mirrors the source tree
under tests/<tier>/, a file's first folder is its tier; until then, and for test files written
before that move, these patterns decide, and `python -m devstack.tiers` prints where each file
goes (`old -> new`), the mapping for that move.
"""

from __future__ import annotations

import sys
from fnmatch import fnmatch
from pathlib import PurePosixPath

TIERS = ("unit", "integration", "e2e")

UNIT = (
    "tests/common/test_config.py",
    "tests/common/test_http_kernel.py",
    "tests/common/test_money.py",
    "tests/common/test_pagination.py",
    "tests/events/test_*.py",
    "tests/*/test_domain.py",
    "tests/orders/test_state.py",
    "tests/orders/test_saga.py",
    "tests/payments/test_config.py",
    "tests/payments/test_followup_names.py",
    "tests/expiration/test_scheduling.py",
    "tests/web/test_building_blocks.py",
    "tests/stripe_standin/test_forms.py",
    "tests/charts/test_dockerfile.py",
    "tests/charts/test_compose.py",
    "tests/charts/test_workflows.py",
)
E2E = (
    "tests/e2e/test_*.py",
    "tests/*/test_processes.py",
    "tests/expiration/test_expiry_end_to_end.py",
    "tests/local_stack/test_up.py",
    "tests/local_stack/test_embedded_infrastructure.py",
    "tests/local_stack/test_suite_servers.py",
    "tests/local_stack/test_gateway.py",
    "tests/local_stack/test_routes.py",
    "tests/local_stack/test_page_cache.py",
    "tests/local_stack/test_static_files.py",
    "tests/charts/test_image_roles.py",
    "tests/stripe_standin/test_cli.py",
)


def tier_of(path: str) -> str:
    """The tier of a test file, given its path from the project root."""
    parts = PurePosixPath(path).parts
    if len(parts) > 2 and parts[0] == "tests" and parts[1] in TIERS:
        return parts[1]
    if any(fnmatch(path, pattern) for pattern in UNIT):
        return "unit"
    if any(fnmatch(path, pattern) for pattern in E2E):
        return "e2e"
    return "integration"


def mirrored(path: str) -> str:
    """Where a test file goes when the suite mirrors the source tree: tests/<tier>/<rest>."""
    parts = PurePosixPath(path).parts
    if parts[1] in TIERS:
        return path
    return str(PurePosixPath("tests", tier_of(path), *parts[1:]))


def main(paths: list[str]) -> None:
    """Print `old -> new` for each test file given (default: every tests/**/test_*.py)."""
    if not paths:
        from devstack.settings import PROJECT_ROOT

        paths = sorted(
            str(path.relative_to(PROJECT_ROOT))
            for path in (PROJECT_ROOT / "tests").rglob("test_*.py")
        )
    for path in paths:
        print(f"{path} -> {mirrored(path)}")


if __name__ == "__main__":
    main(sys.argv[1:])
