"""The test tiers: which test file is a unit, integration or end-to-end test, and where it goes.

unit: pure code, no server, no subprocess (`make test-fast`). integration: against real
PostgreSQL, Redis, NATS, helm. e2e: real processes (`up`, gunicorn, NGINX, a browser).
A file that matches no pattern is an integration test. Under tests/<tier>/ a file's first
folder is its tier; for a file still at tests/<area>/ (written before the suite moved), these
patterns decide. `python -m devstack.tiers` prints where each such file goes (`old -> new`);
`python -m devstack.tiers move` moves them (git mv) and rewrites the `tests.` imports;
`python -m devstack.tiers rewrite` rewrites the imports of the suite's move (moved_tests.txt) alone.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import Counter
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

TIERS = ("unit", "integration", "e2e")
# The files the move of the suite renamed (old -> new), for tests written before it.
MOVED_FILE = Path(__file__).with_name("moved_tests.txt")


def _moved() -> dict[str, str]:
    """The modules the move of the suite renamed (old -> new), from moved_tests.txt."""
    pairs = (
        line.split(" -> ")
        for line in MOVED_FILE.read_text().splitlines()
        if " -> " in line and not line.startswith("#")
    )
    return {_module(old): _module(new) for old, new in pairs if _module(old) != "tests.e2e"}


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
    """Where a test file goes: tests/<tier>/<area>/<name> (the browser tests: e2e/browser)."""
    parts = PurePosixPath(path).parts
    if parts[1] in TIERS and parts[1] != "e2e":
        return path
    if parts[1] == "e2e" and len(parts) > 3:
        return path
    area = "browser" if parts[1] == "e2e" else parts[1]
    return str(PurePosixPath("tests", tier_of(path), area, *parts[2:]))


def _areas(root: Path) -> dict[str, list[Path]]:
    """The folders of tests/ laid out by area (and tests/e2e's own files), with their files."""
    return {
        folder.name: sorted(folder.glob("*.py"))
        for folder in sorted((root / "tests").iterdir())
        if folder.is_dir() and folder.name not in TIERS[:2] and folder.name != "__pycache__"
    }


def plan(root: Path) -> dict[str, str]:
    """old path -> new path of every file to move, helpers going where most of their tests go."""
    moves: dict[str, str] = {}
    for area, files in _areas(root).items():
        tests = [f"tests/{area}/{file.name}" for file in files if file.name.startswith("test_")]
        helpers = [file for file in files if not file.name.startswith("test_")]
        if area == "e2e":
            home = "e2e"
            # Once moved, tests/e2e is the tier's package: only new browser tests leave it.
            if not (root / "tests" / "e2e" / "conftest.py").exists():
                helpers = []
        else:
            tiers = Counter(tier_of(path) for path in tests)
            home = tiers.most_common(1)[0][0] if tests else "integration"
        target = "browser" if area == "e2e" else area
        for path in tests:
            moves[path] = mirrored(path)
        for file in helpers:
            moves[f"tests/{area}/{file.name}"] = f"tests/{home}/{target}/{file.name}"
    return moves


def _module(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def move(root: Path) -> None:
    """git mv every test file to its tier, and rewrite `tests.<area>...` imports to match."""
    moves = plan(root)
    renamed = {**_moved(), **{_module(old): _module(new) for old, new in moves.items()}}
    # `tests.e2e` stays the tier's package: only the browser tests' modules move below it.
    renamed.pop("tests.e2e", None)
    # A tier folder other than an area's home gets a conftest that re-exports the home's fixtures.
    homes = {PurePosixPath(new).parent for old, new in moves.items() if old.endswith("conftest.py")}
    for old, new in moves.items():
        (root / new).parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "mv", old, new], cwd=root, check=True)
    for folder in sorted({PurePosixPath(new).parent for new in moves.values()}):
        for package in (folder.parent, folder):
            init = root / package / "__init__.py"
            if not init.exists():
                init.write_text("")
                subprocess.run(["git", "add", str(init)], cwd=root, check=True)
        conftest = root / folder / "conftest.py"
        home = next((h for h in homes if h.name == folder.name and h != folder), None)
        if home is not None and not conftest.exists() and _requests_fixtures(root, home, folder):
            write_reexport(root, home, conftest)
            subprocess.run(["git", "add", str(conftest)], cwd=root, check=True)
    rewrite(root, renamed)


def _fixtures(path: Path) -> list[str]:
    """The fixtures a conftest defines or re-exports (its `__all__`), by name."""
    tree = ast.parse(path.read_text())
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and any(
            "fixture" in ast.unparse(decorator) for decorator in node.decorator_list
        ):
            names.append(node.name)
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets
        ):
            names += [str(ast.literal_eval(item)) for item in getattr(node.value, "elts", [])]
    return sorted(set(names))


def _requests_fixtures(root: Path, home: PurePosixPath, folder: PurePosixPath) -> bool:
    """Whether a test (or a fixture) in `folder` asks for a fixture of `home`'s conftest.

    A unit test that asks for none must not import the home's servers and clients.
    """
    fixtures = set(_fixtures(root / home / "conftest.py"))
    return any(
        isinstance(node, ast.FunctionDef) and fixtures & {arg.arg for arg in node.args.args}
        for test_file in (root / folder).glob("test_*.py")
        for node in ast.walk(ast.parse(test_file.read_text()))
    )


def write_reexport(root: Path, home: PurePosixPath, conftest: Path) -> None:
    """A conftest that makes the fixtures of `home`'s conftest available in another tier."""
    names = _fixtures(root / home / "conftest.py")
    listed = "".join(f"    {name!r},\n".replace("'", '"') for name in names)
    imported = "".join(f"    {name},\n" for name in names)
    conftest.write_text(
        f'"""The fixtures of {home}, for this tier\'s tests of the same area."""\n\n'
        f"from {'.'.join(home.parts)}.conftest import (\n{imported})\n\n"
        f"__all__ = [\n{listed}]\n"
    )


def rewrite(root: Path, renamed: dict[str, str]) -> None:
    """Rewrite every `tests.<old>` module path under tests/ to its new place."""
    pattern = re.compile(r"\btests(?:\.\w+)+")

    def rename(match: re.Match[str]) -> str:
        name = match.group(0)
        parts = name.split(".")
        for end in range(len(parts), 1, -1):
            prefix = ".".join(parts[:end])
            if prefix in renamed:
                return ".".join([renamed[prefix], *parts[end:]])
        return name

    for path in sorted((root / "tests").rglob("*.py")):
        text = path.read_text()
        changed = pattern.sub(rename, text)
        if changed != text:
            path.write_text(changed)


def main(arguments: list[str]) -> None:
    """Print `old -> new` for each file to move, or move them (`move`)."""
    from devstack.settings import PROJECT_ROOT

    if arguments[:1] == ["move"]:
        move(PROJECT_ROOT)
        return
    if arguments[:1] == ["rewrite"]:
        rewrite(PROJECT_ROOT, _moved())
        return
    for old, new in plan(PROJECT_ROOT).items():
        print(f"{old} -> {new}")


if __name__ == "__main__":
    main(sys.argv[1:])
