"""Insights: anonymous per-day counts (bot.analytics) and 👍/👎 per topic (feedback).

No message text is shown, except scrubbed unanswered questions while an admin has
switched sampling on.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqladmin import expose
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.analytics import SAMPLING_KEY, sampling_enabled, totals
from bot.content.models import Feedback
from bot.web.admin.models import ConsoleSetting, QuestionSample
from bot.web.admin.pages import ConsolePage
from bot.web.admin.review import today

DAYS = 14
METRICS = ("conversations", "messages", "fallbacks")
BREAKDOWNS = ("intents", "languages", "channels", "fallbacks")


def summary(session: Session, days: int = DAYS, on: dt.date | None = None) -> dict[str, Any]:
    since = (on or today()) - dt.timedelta(days=days - 1)
    per_day: dict[dt.date, Counter[str]] = defaultdict(Counter)
    breakdown: dict[str, Counter[str]] = {name: Counter() for name in BREAKDOWNS}
    for row in totals(session, since):
        if row.metric in METRICS:
            per_day[row.day][row.metric] += row.count
        if row.metric in breakdown:
            breakdown[row.metric][row.key] += row.count
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    rows = session.execute(
        select(Feedback.topic, Feedback.vote, func.count())
        .where(Feedback.day >= since)
        .group_by(Feedback.topic, Feedback.vote)
    )
    for topic, vote, count in rows:
        votes[topic][vote] += count
    days_list = [since + dt.timedelta(days=n) for n in range(days)]
    peak = max([per_day[d]["messages"] for d in days_list] + [1])
    return {
        "since": since,
        "days": [(d, per_day[d]) for d in reversed(days_list)],
        "peak": peak,
        "breakdown": {k: v.most_common() for k, v in breakdown.items()},
        "votes": sorted(votes.items()),
    }


class InsightsView(ConsolePage):
    name = "Insights"
    icon = "fa-solid fa-chart-column"

    @expose("/insights", methods=["GET"], identity="insights")
    async def insights(self, request: Request) -> Response:
        with self.session_maker() as session:
            context = {
                "title": "Insights",
                "subtitle": f"Anonymous counts, last {DAYS} days (UTC)",
                **summary(session),
                "sampling": sampling_enabled(session),
                "samples": list(
                    session.scalars(
                        select(QuestionSample).order_by(QuestionSample.id.desc()).limit(100)
                    )
                ),
            }
        return await self.templates.TemplateResponse(request, "dalil/insights.html", context)

    @expose("/insights/sampling", methods=["POST"], identity="insights-sampling")
    async def sampling(self, request: Request) -> Response:
        """Admins only (security.ADMIN_ONLY). Switching off also erases the samples."""
        form = await request.form()
        on = form.get("sampling") == "on"
        with self.session_maker() as session:
            setting = session.get(ConsoleSetting, SAMPLING_KEY) or ConsoleSetting(key=SAMPLING_KEY)
            setting.value = "on" if on else "off"
            session.add(setting)
            if not on:
                for sample in session.scalars(select(QuestionSample)):
                    session.delete(sample)
            session.commit()
        return RedirectResponse(request.url_for("admin:insights"), status_code=303)
