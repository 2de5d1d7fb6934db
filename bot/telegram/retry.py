"""Every Bot API call except getUpdates, retried on flood control and network errors.

python-telegram-bot routes each request through the application's rate limiter; this
one waits as long as Telegram asks on 429 (RetryAfter) and backs off exponentially on
network errors. A timed-out send may have arrived already: a rare duplicate is better
than a lost answer for someone who may be in danger.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)


def retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # int vs timedelta deprecation in v22
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class RetryingLimiter(BaseRateLimiter[None]):
    def __init__(self, attempts: int = 5, backoff: float = 0.5, max_wait: float = 60.0) -> None:
        self.attempts, self.backoff, self.max_wait = attempts, backoff, max_wait

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        for attempt in range(1, self.attempts + 1):
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                wait = min(retry_seconds(error) + 0.1, self.max_wait)
                reason = "flood control"
                if attempt == self.attempts:
                    raise
            except BadRequest:
                raise  # our request is wrong: sending it again will not help
            except NetworkError as error:
                wait = min(self.backoff * 2 ** (attempt - 1), self.max_wait)
                reason = type(error).__name__
                if attempt == self.attempts:
                    raise
            log.warning("%s failed (%s), retry %d in %.1fs", endpoint, reason, attempt, wait)
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")
