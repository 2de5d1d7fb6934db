"""Rasa's REST channel, as the gateway uses it: one turn, and the state it left."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

log = logging.getLogger(__name__)
TIMEOUT = 10.0  # seconds: past this the user is told to try again


class RasaUnavailable(Exception):
    """Rasa did not answer in time, failed, or answered nothing (its way of failing)."""


class RasaClient:
    def __init__(
        self,
        base_url: str,
        token: str = "",
        timeout: float = TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._token, self._timeout = token, timeout
        self._client = httpx.AsyncClient(
            base_url=base_url, timeout=httpx.Timeout(timeout), transport=transport
        )

    async def send(
        self, sender: str, message: str, metadata: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """The bot's messages for one user message; RasaUnavailable on any failure.

        An empty list is a failure too: Rasa answers 200 with nothing when an action
        fails, and silence is the one answer a user must never get.
        """
        body = {"sender": sender, "message": message, "metadata": metadata}
        try:
            async with asyncio.timeout(self._timeout):  # the whole turn, not each read
                reply = await self._client.post("/webhooks/rest/webhook", json=body)
            reply.raise_for_status()
            messages = reply.json()
        except (httpx.HTTPError, ValueError, TimeoutError) as error:
            raise RasaUnavailable(type(error).__name__) from error
        if not isinstance(messages, list) or not messages:
            raise RasaUnavailable("empty reply")
        return [m for m in messages if isinstance(m, dict)]

    async def slots(self, sender: str) -> dict[str, Any]:
        """The conversation's slots (language, country, requested_slot); {} if unknown."""
        try:
            reply = await self._client.get(
                f"/conversations/{sender}/tracker",
                params={"include_events": "NONE", "token": self._token},
            )
            reply.raise_for_status()
            state = reply.json()
        except (httpx.HTTPError, ValueError) as error:
            log.info("conversation state unavailable (%s)", type(error).__name__)
            return {}
        slots = state.get("slots") if isinstance(state, dict) else None
        return slots if isinstance(slots, dict) else {}

    async def close(self) -> None:
        await self._client.aclose()
