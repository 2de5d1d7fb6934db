"""What may reach Rasa as an intent trigger, and how button payloads fit Telegram.

Rasa reads any message that starts with ``/`` as ``/intent{"entity": ...}`` and skips
NLU. Only the gateway can tell a typed message from a button press, so typed text is
neutralised here and only our own button payloads and commands trigger intents.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import OrderedDict

CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data
TABLE_PREFIX = "#"  # callback data that is a key into the lookup table
GATEWAY_PREFIX = "!"  # callback data for the gateway's own buttons (/forget)
_INTENT = re.compile(r"^/([A-Za-z0-9_]+)(\{.*\})?$", re.DOTALL)


def user_text(text: str) -> str:
    """A typed message as Rasa may see it: never an intent trigger.

    Leading slashes (and the spaces around them) are dropped, so ``/greet`` or
    ``/share_location{"lat": 1}`` typed by a user reach NLU as plain words.
    """
    cleaned = text.strip()
    while cleaned.startswith("/"):
        cleaned = cleaned.lstrip("/").lstrip()
    return cleaned


def compact(payload: str) -> str:
    """``/intent{"a": 1}`` with its JSON written without spaces, so more payloads fit
    in 64 bytes; anything else unchanged."""
    match = _INTENT.match(payload.strip())
    if not match or not match.group(2):
        return payload.strip()
    try:
        entities = json.loads(match.group(2))
    except ValueError:
        return payload.strip()
    return f"/{match.group(1)}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


def is_intent_payload(data: str) -> bool:
    """True for ``/intent`` or ``/intent{json object}``: the shape of our buttons."""
    match = _INTENT.match(data)
    if not match:
        return False
    if match.group(2) is None:
        return True
    try:
        return isinstance(json.loads(match.group(2)), dict)
    except ValueError:
        return False


class CallbackTable:
    """Button payloads as callback data: inline when they fit in 64 bytes, else a key.

    Keys are derived from the payload, so the same button always gets the same key and
    the table stays small. It lives in memory: after a restart an old long button
    resolves to None and the user gets the menu again.
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self._payloads: OrderedDict[str, str] = OrderedDict()
        self._max = max_entries

    def data_for(self, payload: str) -> str:
        payload = compact(payload)
        if len(payload.encode()) <= CALLBACK_LIMIT and not payload.startswith(
            (TABLE_PREFIX, GATEWAY_PREFIX)
        ):
            return payload
        digest = hashlib.sha256(payload.encode()).digest()[:12]
        key = TABLE_PREFIX + base64.urlsafe_b64encode(digest).decode()
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self._max:
            self._payloads.popitem(last=False)
        return key

    def payload_for(self, data: str) -> str | None:
        """The payload a tapped button stands for; None if unknown or not ours."""
        if data.startswith(TABLE_PREFIX):
            return self._payloads.get(data)
        if data.startswith(GATEWAY_PREFIX):
            return None
        return data if is_intent_payload(data) or not data.startswith("/") else None
