"""Telegram gateway: python-telegram-bot in front of Rasa's REST channel.

Started with ``python -m bot.telegram`` (``make run`` does it when TELEGRAM_TOKEN is set).
It speaks the same channel contract as the web widget: pseudonymous sender ids, the
channel's language hint in the metadata, and only our own buttons may trigger intents.
"""

SETUP_HELP = """\
Telegram gateway not started: TELEGRAM_TOKEN is empty.
  1. In Telegram, talk to @BotFather, send /newbot and follow the steps.
  2. Put the token it gives you in .env:  TELEGRAM_TOKEN=123456:ABC...
  3. Run `make run` again. Long polling needs no public URL; for a webhook, also set
     TELEGRAM_WEBHOOK_URL (see .env.example and README, section Telegram)."""
