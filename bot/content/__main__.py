"""Content command line.

python -m bot.content import [--force] [--dir data/content]
    load the articles and emergency numbers from the files (changed records only;
    --force rewrites every row from the files, undoing edits made in the database)
python -m bot.content gaps [--days 30]
    how often users wanted an answer in a language it does not exist in yet
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path

from sqlalchemy import func, select

from bot.content.models import ContentGap
from bot.content.seed import CONTENT_DIR, load_content

log = logging.getLogger("bot.content")


def main(argv: list[str] | None = None) -> int:
    from bot.db import session_scope

    parser = argparse.ArgumentParser(prog="python -m bot.content")
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("import", help="load data/content into the database")
    load.add_argument("--force", action="store_true", help="rewrite every row from the files")
    load.add_argument("--dir", type=Path, default=CONTENT_DIR)
    gaps = commands.add_parser("gaps", help="missing translations users asked for")
    gaps.add_argument("--days", type=int, default=30)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    with session_scope() as session:
        if args.command == "import":
            stats = load_content(session, args.dir, force=args.force)
            log.info("content import from %s: %s", args.dir, dict(sorted(stats.items())))
            return 0
        since = dt.date.today() - dt.timedelta(days=args.days)
        rows = session.execute(
            select(ContentGap.topic, ContentGap.country, ContentGap.language,
                   func.sum(ContentGap.count).label("asked"))
            .where(ContentGap.day >= since)
            .group_by(ContentGap.topic, ContentGap.country, ContentGap.language)
            .order_by(func.sum(ContentGap.count).desc())
        ).all()  # fmt: skip
        if not rows:
            print(f"No missing translation was asked for in the last {args.days} days.")
        for topic, country, language, asked in rows:
            print(f"{asked:6d}  {topic:22s} {country:6s} {language}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
