"""Load every version-controlled data file into the database: ``python -m bot.seed``.

Run after each migration (`make migrate`). Idempotent: each loader rewrites a record only
when its file record changed, so corrections staff made in the database are kept.
"""

from __future__ import annotations

import logging

from bot.content.seed import load_content
from bot.directory import seed as directory_seed

log = logging.getLogger("bot.seed")


def main() -> int:
    from bot.db import session_scope

    directory_seed.main([])
    with session_scope() as session:
        stats = load_content(session)
    changes = {k: v for k, v in sorted(stats.items()) if not k.endswith(".unchanged")}
    log.info("content seed: %s", changes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
