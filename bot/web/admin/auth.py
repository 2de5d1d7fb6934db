"""Accounts: argon2 password hashes, lockout after repeated failures, the sqladmin backend."""

from __future__ import annotations

import datetime as dt
from contextvars import ContextVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqladmin.authentication import AuthenticationBackend
from sqlalchemy import select
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response

from bot.db import session_scope
from bot.web.admin.models import ROLES, StaffUser, utcnow

HASHER = PasswordHasher()
MAX_FAILURES = 5  # wrong passwords in a row before the account locks
LOCK_MINUTES = 15
MIN_PASSWORD = 10
# A hash to verify against when the username is unknown, so timing does not reveal it.
_DUMMY_HASH = HASHER.hash("dalil-no-such-user")

# The signed-in account for this request; read by the audit trail.
current_username: ContextVar[str | None] = ContextVar("current_username", default=None)


class AccountError(ValueError):
    """A bad username, role or password when creating an account."""


def create_user(username: str, password: str, role: str) -> StaffUser:
    username = username.strip()
    if not username or len(username) > 100:
        raise AccountError("username must be 1 to 100 characters")
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must be at least {MIN_PASSWORD} characters")
    with session_scope() as session:
        if session.scalar(select(StaffUser).where(StaffUser.username == username)):
            raise AccountError(f"user {username!r} already exists")
        user = StaffUser(username=username, password_hash=HASHER.hash(password), role=role)
        session.add(user)
    return user


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def check_login(username: str, password: str) -> tuple[StaffUser | None, str]:
    """The account if the password is right, else None and why (shown to the user).

    After MAX_FAILURES wrong passwords the account is locked for LOCK_MINUTES, even for
    the right password, which stops online guessing without a CAPTCHA.
    """
    now = utcnow()
    with session_scope() as session:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
        if user is None or not user.active:
            try:
                HASHER.verify(_DUMMY_HASH, password)
            except VerificationError:
                pass
            return None, "Invalid credentials."
        if user.locked_until and _aware(user.locked_until) > now:
            return None, "Too many failed attempts: this account is locked for a while."
        try:
            HASHER.verify(user.password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILURES:
                user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
                user.failed_logins = 0
                return None, "Too many failed attempts: this account is locked for a while."
            return None, "Invalid credentials."
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        session.expunge(user)
        return user, ""


def load_user(user_id: object) -> StaffUser | None:
    if not isinstance(user_id, int):
        return None
    with session_scope() as session:
        user = session.get(StaffUser, user_id)
        if user is None or not user.active:
            return None
        session.expunge(user)
        return user


def staff(request: Request) -> StaffUser | None:
    """The signed-in account, loaded once per request by `StaffMiddleware`."""
    return request.scope.get("state", {}).get("staff")


def has_role(request: Request, *roles: str) -> bool:
    user = staff(request)
    return user is not None and user.role in roles


class StaffAuth(AuthenticationBackend):
    """sqladmin's login hooks: session cookie, then CSRF and role checks (`security`)."""

    def __init__(self, secret_key: str, https_only: bool) -> None:
        from bot.web.admin.security import CSRFMiddleware, StaffMiddleware

        self.middlewares = [
            Middleware(
                SessionMiddleware,
                secret_key=secret_key,
                session_cookie="dalil_admin",
                max_age=8 * 3600,
                path="/admin",
                same_site="strict",
                https_only=https_only,
            ),
            Middleware(StaffMiddleware),
            Middleware(CSRFMiddleware),
        ]

    async def login(self, request: Request) -> bool:
        form = await request.form()
        user, reason = check_login(str(form.get("username", "")), str(form.get("password", "")))
        if user is None:
            request.scope.setdefault("state", {})["login_error"] = reason
            return False
        request.session.clear()  # a fresh session (and CSRF token) at login: no fixation
        request.session["user_id"] = user.id
        return True

    async def logout(self, request: Request) -> Response | bool:
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> Response | bool:
        return staff(request) is not None
