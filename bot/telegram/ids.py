"""Pseudonymous sender ids: Rasa, the tracker store and the logs never see a Telegram id."""

from __future__ import annotations

import hashlib
import hmac


def sender_id(telegram_user_id: int, secret: str) -> str:
    """HMAC-SHA256 of the Telegram user id, keyed with ID_HASH_SECRET.

    Stable for one user (the conversation continues), unlinkable to the account without
    the secret, and the same in every process that shares the secret.
    """
    if not secret:
        raise ValueError("ID_HASH_SECRET is empty: run `make env` (writes .env) first")
    return hmac.new(secret.encode(), str(telegram_user_id).encode(), hashlib.sha256).hexdigest()


def log_id(sender: str) -> str:
    """The most of a sender id a log line may show."""
    return sender[:8]
