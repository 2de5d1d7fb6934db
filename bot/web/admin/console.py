"""Builds the staff console (sqladmin) and mounts it on the web app at /admin."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from sqladmin import Admin
from starlette.applications import Starlette
from starlette.requests import Request

from bot.settings import ROOT, get_settings
from bot.web.admin.audit import audited_sessionmaker, history
from bot.web.admin.auth import StaffAuth
from bot.web.admin.insights import InsightsView
from bot.web.admin.pages import ConsolePage
from bot.web.admin.review import ReviewView
from bot.web.admin.transfer import TransferView
from bot.web.admin.translations import TranslationsView
from bot.web.admin.views import RECORD_VIEWS

log = logging.getLogger(__name__)
TEMPLATES = ROOT / "bot" / "web" / "admin" / "templates"
PAGES: tuple[type[ConsolePage], ...] = (ReviewView, TranslationsView, TransferView, InsightsView)
# The page each view's menu entry opens (sqladmin otherwise picks its last route).
HOME = {ReviewView: "review", TranslationsView: "translations", TransferView: "transfer",
        InsightsView: "insights"}  # fmt: skip


def _secret() -> str:
    secret = get_settings().admin_secret_key
    if not secret:
        log.warning("ADMIN_SECRET_KEY is empty: console sessions end when the web app restarts")
        secret = secrets.token_urlsafe(32)
    return secret


def mount_console(app: Starlette) -> Admin:
    settings = get_settings()
    sessions = audited_sessionmaker()
    admin = Admin(
        app,
        session_maker=sessions,
        base_url="/admin",
        title="Dalil staff console",
        templates_dir=str(TEMPLATES),
        authentication_backend=StaffAuth(_secret(), https_only=settings.admin_secure_cookies),
    )

    def csrf_token(request: Request) -> str:
        return request.scope.get("session", {}).get("csrf", "")

    def audit_history(table: str, record_id: Any) -> list[Any]:
        with sessions() as session:
            return history(session, table, str(record_id))

    admin.templates.env.globals.update(csrf_token=csrf_token, audit_history=audit_history)
    for view in RECORD_VIEWS:
        admin.add_view(view)
    for page in PAGES:
        page.session_maker = sessions
        admin.add_view(page)
        page.identity = HOME[page]
    return admin
