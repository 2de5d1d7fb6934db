"""Rights and legal-identity answers: the article for a topic, country and language.

Read from the database on every question, so a correction staff make shows in the next
answer without retraining or restarting anything. Only published, active articles are
shown. When the user's language has none, the English (then French) one is shown with a
note, and the gap is counted for staff.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.content.models import Article, ContentGap, Feedback

# The "Rights and procedures" and "Legal identity" intents of TOPICS.md.
TOPICS = (
    "rights_work",
    "rights_health",
    "rights_education",
    "rights_housing",
    "asylum_procedure",
    "family_reunification",
    "detention",
    "remittances_banking",
    "legal_migration",
    "birth_registration",
    "identity_documents",
    "residence_permit",
)
ARTICLE_COUNTRIES = ("BE", "MA", "other")
FALLBACK_LANGUAGES = ("en", "fr")
# A chat message read on a small phone: about two screens. Longer answers get skimmed.
MAX_BODY_CHARS = 1000
MAX_TITLE_CHARS = 80
VOTES = ("up", "down")


@dataclass(frozen=True)
class ArticleAnswer:
    topic: str
    country: str
    language: str  # the language the text is in
    wanted_language: str
    title: str
    body: str
    sources: list[dict] = field(default_factory=list)
    reviewed_at: dt.date | None = None
    service_categories: list[str] = field(default_factory=list)

    @property
    def is_fallback(self) -> bool:
        return self.language != self.wanted_language


def article_country(country: str | None) -> str | None:
    """BE and MA have their own articles; any other known country reads ``other``."""
    if country is None:
        return None
    return country if country in ("BE", "MA") else "other"


def _published(session: Session, topic: str, country: str, language: str) -> Article | None:
    return session.scalar(
        select(Article).where(
            Article.topic == topic,
            Article.country == country,
            Article.language == language,
            Article.status == "published",
            Article.active.is_(True),
        )
    )


def find_answer(session: Session, topic: str, country: str, language: str) -> ArticleAnswer | None:
    """The article to show, falling back to English then French; counts a missing one."""
    country = article_country(country) or "other"
    candidates = [language, *(f for f in FALLBACK_LANGUAGES if f != language)]
    for candidate in candidates:
        article = _published(session, topic, country, candidate)
        if article is None:
            continue
        if candidate != language:
            count_gap(session, topic, country, language)
        return ArticleAnswer(
            topic=topic,
            country=country,
            language=candidate,
            wanted_language=language,
            title=article.title,
            body=article.body,
            sources=list(article.sources or []),
            reviewed_at=article.reviewed_at,
            service_categories=list(article.service_categories or []),
        )
    count_gap(session, topic, country, language)
    return None


def _today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()


def count_gap(session: Session, topic: str, country: str, language: str) -> None:
    """One more request for an article that does not exist in ``language`` (per day)."""
    key = dict(topic=topic, country=country, language=language, day=_today())
    filters = [getattr(ContentGap, k) == v for k, v in key.items()]
    bumped = session.execute(
        update(ContentGap).where(*filters).values(count=ContentGap.count + 1)
    ).rowcount
    if bumped:
        return
    try:
        with session.begin_nested():
            session.add(ContentGap(**key, count=1))
    except IntegrityError:  # another process added today's row first
        session.execute(update(ContentGap).where(*filters).values(count=ContentGap.count + 1))


def record_feedback(session: Session, topic: str, country: str, language: str, vote: str) -> bool:
    """Store one anonymous vote; refuses anything that is not a known topic and vote."""
    if topic not in TOPICS or vote not in VOTES:
        return False
    session.add(
        Feedback(
            topic=topic,
            country=article_country(country) or "other",
            language=language,
            vote=vote,
            day=_today(),
        )
    )
    return True


def format_sources(answer: ArticleAnswer) -> str:
    """Source URLs, one per line (links stay tappable in every channel)."""
    return "\n".join(f"🔗 {s['url']}" for s in answer.sources if s.get("url"))
