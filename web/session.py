"""One browser request's conversation with the APIs: its cookies, CSRF header and refreshes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from web.client import ApiClient, ApiResponse
from web.cookies import (
    ACCESS_COOKIE,
    CSRF_ACCESS_COOKIE,
    CSRF_REFRESH_COOKIE,
    REFRESH_COOKIE,
    CookieJar,
)

REFRESH_PATH = "/api/users/refresh"
CURRENT_USER_PATH = "/api/users/currentuser"
# A 401 from these means wrong credentials or a dead session: a refresh would not help.
NO_REFRESH_PATHS = frozenset(
    {
        "/api/users/signup",
        "/api/users/signin",
        "/api/users/tokens",
        "/api/users/signout",
        REFRESH_PATH,
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiSession:
    """Calls the APIs as the browser's user, relaying cookies both ways."""

    def __init__(
        self,
        client: ApiClient,
        cookies: Mapping[str, str],
        *,
        request_id: str | None = None,
        client_address: str | None = None,
    ) -> None:
        self.client = client
        self.jar = CookieJar(cookies)
        self.request_id = request_id
        self.client_address = client_address
        self.set_cookies: list[str] = []
        self._refresh_tried = False
        self._user: dict[str, Any] | None = None
        self._user_known = False

    def get(self, path: str, params: Mapping[str, str] | None = None) -> ApiResponse:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> ApiResponse:
        return self.request("POST", path, body={} if body is None else body)

    def put(self, path: str, body: Any) -> ApiResponse:
        return self.request("PUT", path, body=body)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        """Send as the user; on a 401, refresh the session once and try again."""
        response = self._send(method, path, body, params)
        if response.status == 401 and path not in NO_REFRESH_PATHS and self.refresh():
            response = self._send(method, path, body, params)
        return response

    def refresh(self) -> bool:
        """Rotate the session with the refresh cookie (once per request); False if it is dead."""
        if self._refresh_tried or not self.jar.get(REFRESH_COOKIE):
            return False
        self._refresh_tried = True
        self._user_known = False
        response = self._send("POST", REFRESH_PATH, {}, None)
        if response.ok:
            return True
        # The refresh token expired or was revoked: stop sending it on every page.
        self.set_cookies.extend(self.jar.clear())
        return False

    def current_user(self) -> dict[str, Any] | None:
        """The signed-in user `{id, email}`, refreshing an expired session; None if anonymous."""
        if self._user_known:
            return self._user
        user = self._fetch_user()
        if user is None and self.refresh():
            user = self._fetch_user()
        self._user, self._user_known = user, True
        return user

    def forget_user(self) -> None:
        """Sign-in, sign-up or sign-out changed who the user is."""
        self._user, self._user_known = None, False

    def _fetch_user(self) -> dict[str, Any] | None:
        if not self.jar.get(ACCESS_COOKIE):
            return None
        body = self._send("GET", CURRENT_USER_PATH, None, None).body
        user = body.get("currentUser") if isinstance(body, dict) else None
        return user if isinstance(user, dict) else None

    def _send(
        self, method: str, path: str, body: Any, params: Mapping[str, str] | None
    ) -> ApiResponse:
        response = self.client.send(
            method, path, headers=self._headers(method, path), json_body=body, params=params
        )
        if response.set_cookies:
            self.jar.update(response.set_cookies)
            self.set_cookies.extend(response.set_cookies)
        return response

    def _headers(self, method: str, path: str) -> dict[str, str]:
        headers: dict[str, str] = {}
        cookie = self.jar.header()
        if cookie:
            headers["Cookie"] = cookie
        if method not in SAFE_METHODS:
            csrf = self._csrf_token(path)
            if csrf:
                headers["X-CSRF-Token"] = csrf
        if self.request_id:
            headers["X-Request-Id"] = self.request_id
        if self.client_address:
            headers["X-Forwarded-For"] = self.client_address
        return headers

    def _csrf_token(self, path: str) -> str | None:
        """The double-submit token matching the cookie the API will authenticate with."""
        if path == REFRESH_PATH or not self.jar.get(ACCESS_COOKIE):
            return self.jar.get(CSRF_REFRESH_COOKIE)
        return self.jar.get(CSRF_ACCESS_COOKIE)
