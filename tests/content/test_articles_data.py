"""Issue 4, done when: a test fails if any (topic, country, language) article is missing,
unsourced, unreviewed, or longer than a chat message should be."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import yaml
from sqlalchemy import select

from bot.content.articles import (
    ARTICLE_COUNTRIES,
    MAX_BODY_CHARS,
    MAX_TITLE_CHARS,
    TOPICS,
)
from bot.content.models import Article
from bot.content.seed import CONTENT_DIR, article_records
from bot.directory.seed import CATEGORIES
from bot.settings import SUPPORTED_LANGUAGES

RECORDS = article_records(CONTENT_DIR / "articles")
BY_KEY = {(r["topic"], r["country"], r["language"]): r for r in RECORDS}
# Staff re-check an answer at least once a year (the staff console's review queue).
REVIEW_EVERY_DAYS = 365
KEYS = [(t, c, lang) for t in TOPICS for c in ARTICLE_COUNTRIES for lang in SUPPORTED_LANGUAGES]


def test_one_record_per_key():
    keys = [(r["topic"], r["country"], r["language"]) for r in RECORDS]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(KEYS)


@pytest.mark.parametrize("key", KEYS, ids=lambda k: "-".join(k))
def test_article_is_published_sourced_reviewed_and_short(key):
    record = BY_KEY.get(key)
    assert record is not None, f"missing article {key}"
    assert record["status"] == "published", key
    reviewed = dt.date.fromisoformat(str(record["reviewed_at"]))
    assert dt.date.today() - reviewed <= dt.timedelta(days=REVIEW_EVERY_DAYS), key
    assert record["reviewer"], key
    assert record["sources"], key
    for source in record["sources"]:
        assert re.match(r"https?://[^\s]+$", source["url"]), source
    assert len(record["body"].strip()) <= MAX_BODY_CHARS, (key, len(record["body"]))
    assert 0 < len(record["title"]) <= MAX_TITLE_CHARS, key
    categories = record["service_categories"]
    assert categories and set(categories) <= set(CATEGORIES), key
    if key[2] == "ar":
        assert re.search(r"[\u0600-\u06FF]", record["body"]), key


def test_every_cited_url_is_backed_by_a_fact_quote():
    """BE/MA articles cite only pages the facts files quote (accuracy rule)."""
    quoted: dict[str, set[str]] = {}
    for path in (CONTENT_DIR / "facts").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for country in ("BE", "MA", "other"):
            for fact in (data.get(country) or {}).get("facts", []):
                quoted.setdefault(data["topic"], set()).add(fact["source"]["url"])
    for record in RECORDS:
        for source in record["sources"]:
            assert source["url"] in quoted.get(record["topic"], set()), (
                record["topic"], record["country"], record["language"], source["url"]
            )  # fmt: skip


def test_seeded_database_holds_every_published_article(content_db):
    from bot.db import session_scope

    with session_scope() as session:
        rows = session.scalars(select(Article).where(Article.status == "published")).all()
        keys = {(a.topic, a.country, a.language) for a in rows}
    assert keys == set(KEYS)
