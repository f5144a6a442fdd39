"""People using the site in a real browser: each in their own context, with screenshots."""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "correct horse battery"
ACTION_TIMEOUT_MS = 15_000
ORDER_PATH = re.compile(r"/orders/([0-9a-f-]{36})")
TICKET_PATH = re.compile(r"/tickets/([0-9a-f-]{36})")


class Screenshots:
    """Numbered PNGs of the pages a test passes through: NN-<page>.png."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.taken: list[Path] = []

    def take(self, page: Page, name: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@dataclass
class User:
    """Someone at the site in a browser context of their own (their own cookies)."""

    label: str
    page: Page
    shots: Screenshots
    email: str = field(default_factory=lambda: f"e2e-{uuid.uuid4().hex[:12]}@example.com")

    def shot(self, name: str) -> None:
        """Photograph the page this user is looking at."""
        self.shots.take(self.page, f"{self.label}-{name}")

    def visit(self, path: str, name: str) -> None:
        self.page.goto(path)
        self.shot(name)

    def sign_up(self) -> None:
        """Create an account with the sign-up form (which signs in)."""
        self.page.goto("/signup")
        self.fill_credentials(self.email, PASSWORD)
        self.shot("signup")
        self.page.get_by_role("button", name="Sign up").click()
        expect(self.page.locator(".account-email")).to_have_text(self.email)

    def fill_credentials(self, email: str, password: str) -> None:
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)

    def sell(self, title: str, price: str) -> str:
        """List a ticket with the sell form; its id."""
        self.page.goto("/tickets/new")
        self.page.get_by_label("Title").fill(title)
        self.page.get_by_label("Price").fill(price)
        self.shot("sell-form")
        self.page.get_by_role("button", name="Sell a ticket").click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(title)
        self.shot("ticket-listed")
        found = TICKET_PATH.search(self.page.url)
        assert found, self.page.url
        return found.group(1)

    def buy(self, ticket_id: str, timeout: float = 20) -> str:
        """Press Buy on the ticket's page until an order holds it; the order's id.

        The orders service learns of a new or released ticket through events, a moment later.
        """
        deadline = time.monotonic() + timeout
        self.page.goto(f"/tickets/{ticket_id}")
        self.shot("ticket")
        while True:
            self.page.get_by_role("button", name="Buy").click()
            self.page.wait_for_load_state()
            found = ORDER_PATH.search(self.page.url)
            if found:
                self.shot("order")
                return found.group(1)
            if time.monotonic() > deadline:
                self.shot("buy-refused")
                raise AssertionError(f"could not buy: {self.page.locator('main').inner_text()}")
            time.sleep(0.5)
            self.page.goto(f"/tickets/{ticket_id}")

    def reload_until(self, path: str, text: str, name: str, timeout: float = 30) -> None:
        """Reload `path` until the page shows `text` (events take a moment to arrive)."""
        deadline = time.monotonic() + timeout
        while True:
            self.page.goto(path)
            if text in self.page.locator("main").inner_text():
                self.shot(name)
                return
            if time.monotonic() > deadline:
                self.shot(f"{name}-never")
                raise AssertionError(f"{path} never showed {text!r}")
            time.sleep(0.5)


class Browsing:
    """The session's browser; the users of the running test and their screenshots."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.users: list[User] = []
        self.shots: Screenshots | None = None

    def begin(self, shots: Screenshots) -> None:
        self.shots = shots

    def user(self, label: str, *, javascript: bool = True) -> User:
        """A new visitor, signed out, in a browser context of their own."""
        assert self.shots is not None, "use the `shots` fixture"
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport={"width": 1024, "height": 768},
            java_script_enabled=javascript,
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        self.contexts.append(context)
        user = User(label, context.new_page(), self.shots)
        self.users.append(user)
        return user

    def photograph_all(self, name: str) -> None:
        """Every user's page as it is now (after a failure)."""
        for user in self.users:
            if not user.page.is_closed():
                user.shot(name)

    def end(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()
        self.users.clear()
        self.shots = None
