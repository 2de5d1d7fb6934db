"""Translation coverage: topic × country × language, and services missing a language.

English is the source: a translation is *outdated* when the English article of the same
topic and country was reviewed after it, or it was not reviewed for a year.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqladmin import expose
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from bot.content.models import Article
from bot.directory.models import Service, Translation
from bot.settings import SUPPORTED_COUNTRIES, SUPPORTED_LANGUAGES
from bot.web.admin.pages import ConsolePage
from bot.web.admin.review import ARTICLE_DAYS, today

SOURCE_LANGUAGE = "en"
SERVICE_FIELDS = ("name", "description")


@dataclass
class Cell:
    status: str  # ok | outdated | draft | missing
    article_id: int | None = None


def article_matrix(
    session: Session, on: dt.date | None = None
) -> tuple[list[str], list[str], dict[tuple[str, str, str], Cell]]:
    """Topics, countries and the status of every (topic, country, language) cell."""
    articles = list(session.scalars(select(Article).where(Article.active)))
    topics = sorted({a.topic for a in articles})
    countries = sorted({*SUPPORTED_COUNTRIES, *(a.country for a in articles)})
    by_key = {(a.topic, a.country, a.language): a for a in articles}
    limit = (on or today()) - dt.timedelta(days=ARTICLE_DAYS)
    cells: dict[tuple[str, str, str], Cell] = {}
    for topic in topics:
        for country in countries:
            source = by_key.get((topic, country, SOURCE_LANGUAGE))
            for language in SUPPORTED_LANGUAGES:
                article = by_key.get((topic, country, language))
                if article is None:
                    cells[topic, country, language] = Cell("missing")
                    continue
                reviewed = article.reviewed_at
                behind = (
                    source is not None
                    and language != SOURCE_LANGUAGE
                    and source.reviewed_at is not None
                    and (reviewed is None or reviewed < source.reviewed_at)
                )
                if article.status != "published":
                    status = "draft"
                elif behind or reviewed is None or reviewed < limit:
                    status = "outdated"
                else:
                    status = "ok"
                cells[topic, country, language] = Cell(status, article.id)
    return topics, countries, cells


def services_missing_languages(session: Session) -> list[dict[str, Any]]:
    """Active services whose name or description lacks a translation (English is stored)."""
    have: dict[str, set[tuple[str, str]]] = defaultdict(set)
    rows = session.execute(
        select(Translation.entity_id, Translation.field, Translation.language).where(
            Translation.entity_type == "service", Translation.value != ""
        )
    )
    for entity_id, field, language in rows:
        have[entity_id].add((field, language))
    missing = []
    for service in session.scalars(select(Service).where(Service.active).order_by(Service.name)):
        gaps = {
            language: [
                f
                for f in SERVICE_FIELDS
                if getattr(service, f) and (f, language) not in have[service.id]
            ]
            for language in SUPPORTED_LANGUAGES
            if language != SOURCE_LANGUAGE
        }
        gaps = {language: fields for language, fields in gaps.items() if fields}
        if gaps:
            missing.append({"id": service.id, "name": service.name, "gaps": gaps})
    return missing


class TranslationsView(ConsolePage):
    name = "Translation coverage"
    icon = "fa-solid fa-table-cells"

    @expose("/translations", methods=["GET"], identity="translations")
    async def translations(self, request: Request) -> Response:
        with self.session_maker() as session:
            topics, countries, cells = article_matrix(session)
            context = {
                "title": "Translation coverage",
                "subtitle": "Articles per topic, country and language; services per language",
                "topics": topics,
                "countries": countries,
                "languages": SUPPORTED_LANGUAGES,
                "cells": cells,
                "services": services_missing_languages(session),
            }
        return await self.templates.TemplateResponse(request, "dalil/translations.html", context)
