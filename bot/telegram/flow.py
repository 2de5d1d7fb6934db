"""Update flow: different users at once, one user's updates in order, floods dropped.

Telegram delivers updates in one stream. Processing them one by one would make every
user wait for the slowest Rasa turn; processing them all at once could answer one
user's two messages out of order. So updates run concurrently, under a lock per user.
A user who sends faster than a person types is rate-limited on arrival (a token bucket)
and told so once per flood, before their updates occupy a slot.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)


class TokenBucket:
    """``capacity`` messages at once, refilled at ``rate`` per second."""

    def __init__(self, capacity: float, rate: float, clock: Callable[[], float] = time.monotonic):
        self.capacity, self.rate, self._clock = capacity, rate, clock
        self.tokens = capacity
        self._updated = clock()
        self.warned = False  # told about this flood already

    def take(self) -> bool:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._updated) * self.rate)
        self._updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            if self.tokens >= 1:
                self.warned = False  # the flood is over
            return True
        return False

    def full(self) -> bool:
        elapsed = self._clock() - self._updated
        return self.tokens + elapsed * self.rate >= self.capacity


def user_key(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_user:
        return update.effective_user.id
    return None


class PerUserProcessor(BaseUpdateProcessor):
    """Concurrent across users, sequential per user, with flood control."""

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        capacity: float = 8,
        rate: float = 0.5,
        on_limited: Callable[[Update], Awaitable[Any]] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._capacity, self._rate = capacity, rate
        self._locks: dict[int, asyncio.Lock] = {}
        self._buckets: dict[int, TokenBucket] = {}
        self.on_limited = on_limited

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    def _allowed(self, key: int) -> tuple[bool, bool]:
        """(may this update run, should the user be told they are limited)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self._capacity, self._rate)
        if bucket.take():
            return True, False
        tell = not bucket.warned
        bucket.warned = True
        return False, tell

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = user_key(update)
        if key is None:
            await coroutine
            return
        allowed, tell = self._allowed(key)
        if not allowed:
            coroutine.close()  # type: ignore[attr-defined]  # never run: drop it
            log.info("update dropped: rate limit")
            if tell and self.on_limited and isinstance(update, Update):
                await self.on_limited(update)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                await coroutine
        finally:
            if not lock.locked() and not getattr(lock, "_waiters", None):
                self._locks.pop(key, None)
            bucket = self._buckets.get(key)
            if bucket is not None and bucket.full():
                self._buckets.pop(key, None)  # keep memory for active users only
