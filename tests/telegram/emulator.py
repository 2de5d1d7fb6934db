"""A Telegram Bot API emulator over HTTP, for running the real gateway in tests.

python-telegram-bot talks to it exactly as to api.telegram.org (its ``base_url`` points
here): getMe, getUpdates (long polling), setWebhook / deleteWebhook, setMyCommands,
sendChatAction, sendMessage, sendVenue, sendLocation, sendPhoto, answerCallbackQuery,
editMessageReplyMarkup. Tests play the users (``TelegramUser``): they queue updates and
read what the bot sent. Failures (429 flood control, 502) can be injected per method.
Any other method answers 404 and is recorded in ``unknown``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.stack import free_port

TOKEN = "123456789:EMULATOR-test-token"
BOT = {"id": 123456789, "is_bot": True, "first_name": "Dalil", "username": "dalil_test_bot"}
# Parameters that stay strings; every other form value is JSON (python-telegram-bot
# JSON-encodes non-string parameters in its form posts).
TEXT_PARAMS = {
    "text", "caption", "title", "address", "secret_token", "url", "callback_query_id",
    "language_code", "photo", "parse_mode", "action", "description",
}  # fmt: skip
OUTPUT_METHODS = {"sendMessage", "sendVenue", "sendLocation", "sendPhoto"}
LONG_POLL_CAP = 1.0  # seconds: answer getUpdates early so tests and shutdowns stay quick


def _decode(key: str, value: Any) -> Any:
    if key in TEXT_PARAMS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


class BotApiEmulator:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.port = free_port()
        self._lock = threading.Lock()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self.updates: list[dict[str, Any]] = []  # queued, not yet confirmed
        self.delivered = 0  # highest update_id handed to the bot
        self.calls: list[dict[str, Any]] = []  # every request: method, params, status
        self.outbox: list[dict[str, Any]] = []  # messages the bot sent (Telegram's shape)
        self.unknown: list[str] = []
        self.failures: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.webhook: dict[str, Any] | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """python-telegram-bot's ``base_url`` form: the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> BotApiEmulator:
        app = Starlette(
            routes=[Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"])]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise TimeoutError("emulator did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self._server:
            self._server.should_exit = True
        if self._thread:
            self._thread.join(10)

    # --- what tests do -----------------------------------------------------------------

    def push(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue an update (or post it to the webhook); returns its update_id."""
        with self._lock:
            update = {"update_id": next(self._update_ids), kind: payload}
            webhook = self.webhook
            if webhook is None:
                self.updates.append(update)
        if webhook is not None:
            headers = {}
            if webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
            reply = httpx.post(webhook["url"], json=update, headers=headers, timeout=10)
            reply.raise_for_status()
        return update["update_id"]

    def message_id(self) -> int:
        with self._lock:
            return next(self._message_ids)

    def fail(self, method: str, status: int, description: str, retry_after: int | None = None,
             times: int = 1) -> None:  # fmt: skip
        """The next ``times`` calls of ``method`` fail as Telegram would."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        with self._lock:
            self.failures.setdefault(method, []).extend([(status, body)] * times)

    def sent(self, chat_id: int | None = None, since: int = 0) -> list[dict[str, Any]]:
        """Messages the bot sent (to ``chat_id``), from index ``since`` of the outbox."""
        with self._lock:
            items = list(self.outbox[since:])
        return [m for m in items if chat_id is None or m["chat"]["id"] == chat_id]

    def called(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self.calls if c["method"] == method]

    def wait(self, condition: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
        """Poll until ``condition()`` is truthy; fail with ``what`` after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or condition}")
            time.sleep(0.05)

    # --- the Bot API -------------------------------------------------------------------

    async def _params(self, request: Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            kind = request.headers.get("content-type", "")
            if kind.startswith("application/json"):
                params.update(await request.json())
            else:  # application/x-www-form-urlencoded (no file uploads here)
                params.update(parse_qsl((await request.body()).decode(), keep_blank_values=True))
        return {k: _decode(k, v) for k, v in params.items()}

    async def _endpoint(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        params = await self._params(request)
        with self._lock:
            pending = self.failures.get(method)
            failure = pending.pop(0) if pending else None
            self.calls.append(
                {"method": method, "params": params, "failed": failure is not None,
                 "time": time.monotonic()}
            )  # fmt: skip
        if failure:
            return JSONResponse(failure[1], status_code=failure[0])
        if method == "getUpdates":
            return JSONResponse({"ok": True, "result": await self._get_updates(params)})
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            with self._lock:
                self.unknown.append(method)
            return JSONResponse(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status_code=404
            )
        with self._lock:
            result = handler(params)
        if isinstance(result, JSONResponse):
            return result
        return JSONResponse({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP)
        deadline = time.monotonic() + wait
        while True:
            with self._lock:
                if offset:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                ready = self.updates[:limit]
                if ready:
                    self.delivered = max(self.delivered, ready[-1]["update_id"])
                    return ready
            if time.monotonic() >= deadline:
                return []
            await asyncio.sleep(0.02)

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**BOT, "can_join_groups": False, "can_read_all_group_messages": False,
                "supports_inline_queries": False}  # fmt: skip

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = None
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": 0}  # fmt: skip

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    def _m_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT,
            **content,
        }
        markup = params.get("reply_markup")
        if markup:
            message["reply_markup"] = markup  # kept for the tests (any keyboard kind)
        self.outbox.append(message)
        # Telegram echoes only inline keyboards back in the sent message.
        echo = dict(message)
        if not (isinstance(markup, dict) and "inline_keyboard" in markup):
            echo.pop("reply_markup", None)
        return echo

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._message(params, text=params["text"], parse_mode=params.get("parse_mode"))

    def _m_sendVenue(self, params: dict[str, Any]) -> Any:
        if not params.get("title") or not params.get("address"):
            return JSONResponse(
                {"ok": False, "error_code": 400, "description": "Bad Request: venue is empty"},
                status_code=400,
            )
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        venue = {"location": location, "title": params["title"], "address": params["address"]}
        return self._message(params, venue=venue, location=location)

    def _m_sendLocation(self, params: dict[str, Any]) -> dict[str, Any]:
        location = {"latitude": params["latitude"], "longitude": params["longitude"]}
        return self._message(params, location=location)

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        photo = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 1, "height": 1}]
        return self._message(params, photo=photo, photo_url=params.get("photo"))

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        for message in self.outbox:
            if message["message_id"] == int(params["message_id"]):
                markup = params.get("reply_markup")
                message.setdefault("edits", []).append(markup)
                if markup:
                    message["reply_markup"] = markup
                else:
                    message.pop("reply_markup", None)
                return {k: v for k, v in message.items() if k not in ("edits", "photo_url")}
        return JSONResponse(
            {"ok": False, "error_code": 400, "description": "Bad Request: message not found"},
            status_code=400,
        )


class TelegramUser:
    """One person in a private chat with the bot."""

    _ids = itertools.count(700_000_001)

    def __init__(
        self, emulator: BotApiEmulator, language_code: str | None = "en", first_name: str = "Amal"
    ) -> None:
        self.emulator = emulator
        self.id = next(self._ids)
        self.language_code = language_code
        self.first_name = first_name
        self.mark = len(emulator.outbox)  # replies after this index are "new"

    @property
    def user(self) -> dict[str, Any]:
        user = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": self.emulator.message_id(),
            "date": int(time.time()),
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
            "from": self.user,
            **content,
        }

    def _push(self, kind: str, payload: dict[str, Any]) -> int:
        self.mark = len(self.emulator.outbox)
        return self.emulator.push(kind, payload)

    def says(self, text: str) -> int:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push("message", self._message(**content))

    def shares_location(self, latitude: float, longitude: float) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self._push("message", self._message(location=location))

    def sends_voice(self) -> int:
        voice = {"file_id": "voice-1", "file_unique_id": "v1", "duration": 4}
        return self._push("message", self._message(voice=voice))

    def sends_sticker(self) -> int:
        sticker = {
            "file_id": "sticker-1",
            "file_unique_id": "s1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._push("message", self._message(sticker=sticker))

    def taps(self, title: str) -> int:
        """Tap the button called ``title`` in the latest bot message that has it."""
        for message in reversed(self.emulator.sent(self.id)):
            for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
                for button in row:
                    if button["text"] == title and "callback_data" in button:
                        query = {
                            "id": str(self.emulator.message_id()),
                            "from": self.user,
                            "chat_instance": f"ci-{self.id}",
                            "data": button["callback_data"],
                            "message": {k: v for k, v in message.items() if k != "edits"},
                        }
                        return self._push("callback_query", query)
        raise AssertionError(f"no button {title!r} in the chat")

    def replies(self) -> list[dict[str, Any]]:
        """What the bot sent to this user since their last action."""
        return self.emulator.sent(self.id, since=self.mark)

    def wait_replies(
        self, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 90, what: str = ""
    ) -> list[dict[str, Any]]:
        """Poll until the replies since the last action satisfy ``until``."""
        return self.emulator.wait(
            lambda: (lambda r: r if until(r) else None)(self.replies()), timeout, what
        )


def buttons(message: dict[str, Any]) -> list[str]:
    """Titles of a message's inline buttons."""
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def has_keyboard(message: dict[str, Any]) -> bool:
    markup = message.get("reply_markup") or {}
    return bool(markup.get("inline_keyboard") or markup.get("keyboard"))
