"""``python -m bot.telegram``: the Telegram gateway."""

from __future__ import annotations

import logging

from bot.settings import get_settings
from bot.telegram import SETUP_HELP
from bot.telegram.app import run


def configure_logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def main() -> int:
    settings = get_settings()
    if not settings.telegram_token:
        print(SETUP_HELP)
        return 2
    configure_logging()
    run(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
