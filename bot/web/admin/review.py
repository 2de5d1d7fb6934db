"""Freshness: the "needs review" queue and "mark verified".

A service nobody has verified for 180 days, or an article nobody has reviewed for 365,
is probably wrong somewhere; the queue lists them oldest first.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqladmin import expose
from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.content.models import Article
from bot.directory.models import Service
from bot.web.admin.auth import has_role, staff
from bot.web.admin.pages import ConsolePage

SERVICE_DAYS = 180
ARTICLE_DAYS = 365


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def stale_services(session: Session, on: dt.date | None = None) -> list[Service]:
    limit = (on or today()) - dt.timedelta(days=SERVICE_DAYS)
    stmt = (
        select(Service)
        .where(Service.active, or_(Service.assured_date.is_(None), Service.assured_date < limit))
        .order_by(Service.assured_date.is_not(None), Service.assured_date, Service.name)
    )
    return list(session.scalars(stmt))


def stale_articles(session: Session, on: dt.date | None = None) -> list[Article]:
    limit = (on or today()) - dt.timedelta(days=ARTICLE_DAYS)
    stmt = (
        select(Article)
        .where(Article.active, or_(Article.reviewed_at.is_(None), Article.reviewed_at < limit))
        .order_by(Article.reviewed_at.is_not(None), Article.reviewed_at, Article.topic)
    )
    return list(session.scalars(stmt))


def mark_verified(session: Session, kind: str, record_id: str, reviewer: str) -> bool:
    """Sets the verification date to today and the reviewer; False if no such record."""
    if kind == "service":
        service = session.get(Service, record_id)
        if service is None:
            return False
        service.assured_date = today()
        service.assurer_email = reviewer
        return True
    if kind == "article" and record_id.isdigit():
        article = session.get(Article, int(record_id))
        if article is None:
            return False
        article.reviewed_at = today()
        article.reviewer = reviewer
        return True
    return False


class ReviewView(ConsolePage):
    name = "Needs review"
    icon = "fa-solid fa-list-check"

    @expose("/review", methods=["GET"], identity="review")
    async def review(self, request: Request) -> Response:
        with self.session_maker() as session:
            context: dict[str, Any] = {
                "title": "Needs review",
                "subtitle": f"Services not verified for {SERVICE_DAYS} days, "
                f"articles not reviewed for {ARTICLE_DAYS} days",
                "services": stale_services(session),
                "articles": stale_articles(session),
                "can_verify": has_role(request, "admin", "editor"),
            }
        return await self.templates.TemplateResponse(request, "dalil/review.html", context)

    @expose("/review/verify", methods=["POST"], identity="review-verify")
    async def verify(self, request: Request) -> Response:
        form = await request.form()
        user = staff(request)
        assert user is not None  # StaffMiddleware refused anonymous requests
        with self.session_maker() as session:
            if not mark_verified(
                session, str(form.get("kind", "")), str(form.get("id", "")), user.username
            ):
                return Response("No such record.", status_code=404)
            session.commit()
        return RedirectResponse(request.url_for("admin:review"), status_code=303)
