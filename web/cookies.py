"""The API session cookies the web relays between the browser and the APIs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from werkzeug.http import dump_cookie

ACCESS_COOKIE = "access_token_cookie"
REFRESH_COOKIE = "refresh_token_cookie"
CSRF_ACCESS_COOKIE = "csrf_access_token"
CSRF_REFRESH_COOKIE = "csrf_refresh_token"
SESSION_COOKIES = (ACCESS_COOKIE, REFRESH_COOKIE, CSRF_ACCESS_COOKIE, CSRF_REFRESH_COOKIE)


@dataclass(frozen=True)
class SetCookie:
    """The name and value of one Set-Cookie header, and whether it deletes the cookie."""

    name: str
    value: str
    deletes: bool

    @classmethod
    def parse(cls, header: str) -> SetCookie:
        """Read `name=value; Attr=...` as a server sends it."""
        first, *attributes = header.split(";")
        name, _, value = first.partition("=")
        value = value.strip().strip('"')
        deletes = value == ""
        for attribute in attributes:
            key, _, setting = attribute.strip().partition("=")
            key = key.lower()
            if key == "max-age" and setting.strip().lstrip("-").isdigit():
                deletes = deletes or int(setting) <= 0
            elif key == "expires" and "1970" in setting:
                deletes = True
        return cls(name.strip(), value, deletes)


class CookieJar:
    """The browser's API session cookies as they stand after the API calls made so far."""

    def __init__(self, cookies: Mapping[str, str]) -> None:
        self._values = {name: cookies[name] for name in SESSION_COOKIES if cookies.get(name)}

    def get(self, name: str) -> str | None:
        return self._values.get(name)

    def header(self) -> str | None:
        """The Cookie request header carrying the session cookies, if any."""
        if not self._values:
            return None
        return "; ".join(f"{name}={value}" for name, value in self._values.items())

    def update(self, set_cookie_headers: Iterable[str]) -> None:
        """Apply an API response's Set-Cookie headers, as the browser will."""
        for header in set_cookie_headers:
            cookie = SetCookie.parse(header)
            if cookie.name not in SESSION_COOKIES:
                continue
            if cookie.deletes:
                self._values.pop(cookie.name, None)
            else:
                self._values[cookie.name] = cookie.value

    def clear(self) -> list[str]:
        """Forget every session cookie; returns the Set-Cookie headers that delete them."""
        self._values.clear()
        return [
            dump_cookie(name, "", max_age=0, expires=0, path="/", samesite="Lax")
            for name in SESSION_COOKIES
        ]
