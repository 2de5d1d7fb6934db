"""Request guards of the console: who is signed in, what their role allows, CSRF.

Pure ASGI middlewares inside sqladmin's sub-app, after the session middleware, so every
route — sqladmin's own and ours — is covered, including ones sqladmin leaves open.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web.admin.auth import current_username, load_user

PUBLIC = ("/login", "/logout", "/statics/")
ADMIN_ONLY = ("/staff-user/", "/insights/sampling")
EDIT_PATHS = ("/create", "/edit/", "/action/", "/delete")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def route_path(scope: Scope) -> str:
    """The path inside the console (without the /admin mount prefix)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def is_write(method: str, path: str) -> bool:
    return method in UNSAFE or any(part in path for part in EDIT_PATHS)


def role_allows(role: str, method: str, path: str) -> bool:
    if role == "admin":
        return True
    if any(path.startswith(prefix) for prefix in ADMIN_ONLY):
        return False
    return role == "editor" or not is_write(method, path)


class StaffMiddleware:
    """Loads the account from the session; refuses anonymous and out-of-role requests."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = route_path(scope), scope["method"]
        user = load_user(scope["session"].get("user_id"))
        scope.setdefault("state", {})["staff"] = user
        if not any(path.startswith(p) for p in PUBLIC):
            if user is None:
                if method == "GET" and not is_write(method, path):
                    login = Request(scope).url_for("admin:login")
                    response = RedirectResponse(login, status_code=302)
                else:
                    response = PlainTextResponse("Sign in first.", status_code=403)
                await response(scope, receive, send)
                return
            if not role_allows(user.role, method, path):
                response = PlainTextResponse("Your role does not allow this.", status_code=403)
                await response(scope, receive, send)
                return
        token = current_username.set(user.username if user else None)
        try:
            await self.app(scope, receive, _with_headers(send, path))
        finally:
            current_username.reset(token)


HEADERS = [
    (b"x-frame-options", b"DENY"),  # no clickjacking of console forms
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


def _with_headers(send: Send, path: str) -> Send:
    """Adds HEADERS, and `no-store` on console pages (records must not linger in caches)."""
    extra = HEADERS if path.startswith("/statics/") else [*HEADERS, (b"cache-control", b"no-store")]

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


class CSRFMiddleware:
    """Synchronizer token: every unsafe request carries the session's token.

    The token comes from a `csrf_token` form field (added to every form by csrf.js and
    our templates) or an `X-CSRF-Token` header (sqladmin's ajax calls).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = scope["session"]
        expected = session.get("csrf")
        if not expected:
            expected = session["csrf"] = secrets.token_urlsafe(32)
        if scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        request = Request(scope, replay)
        sent = request.headers.get("x-csrf-token", "")
        if not sent:
            form = await request.form()
            sent = str(form.get("csrf_token", ""))
            await form.close()
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            response = PlainTextResponse("CSRF token missing or invalid.", status_code=403)
            await response(scope, receive, send)
            return
        replayed = False
        await self.app(scope, replay, send)
