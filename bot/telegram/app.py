"""The application, built in one place; long polling or a webhook."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import re
import signal
from collections.abc import Iterator
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.settings import SUPPORTED_LANGUAGES, Settings
from bot.telegram import handlers
from bot.telegram.flow import PerUserProcessor
from bot.telegram.payloads import CallbackTable
from bot.telegram.rasa_client import RasaClient
from bot.telegram.retry import RetryingLimiter
from bot.telegram.texts import COMMANDS, text

log = logging.getLogger(__name__)
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]  # nothing we do not use
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, or one derived from the token and ID_HASH_SECRET."""
    if settings.telegram_webhook_secret:
        if not _SECRET.match(settings.telegram_webhook_secret):
            raise SystemExit("TELEGRAM_WEBHOOK_SECRET: 1-256 characters A-Z, a-z, 0-9, _ or -")
        return settings.telegram_webhook_secret
    key = settings.id_hash_secret.encode()
    message = b"telegram-webhook:" + settings.telegram_token.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def file_base_url(base_url: str) -> str:
    """``http://host/bot`` → ``http://host/file/bot``, the Bot API's file URL scheme."""
    head, sep, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if sep else base_url


def build_application(settings: Settings) -> Application:
    if not settings.telegram_token:
        raise SystemExit("TELEGRAM_TOKEN is empty: see README, section Telegram")
    if not settings.id_hash_secret:
        raise SystemExit("ID_HASH_SECRET is empty: run `make env` (writes .env) first")
    processor = PerUserProcessor()
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .concurrent_updates(processor)
        .rate_limiter(RetryingLimiter())
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                # Previews cost data on a weak connection; links stay tappable.
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(setup)
        .post_shutdown(teardown)
    )
    if settings.telegram_api_base_url:
        base = settings.telegram_api_base_url
        builder = builder.base_url(base).base_file_url(file_base_url(base))
    application = builder.build()
    application.bot_data["settings"] = settings

    async def limited(update: Update) -> None:
        await handlers.on_limited(update, CallbackContext.from_update(update, application))

    processor.on_limited = limited

    private = filters.ChatType.PRIVATE
    fresh = filters.UpdateType.MESSAGE  # edits are not new messages
    commands = {
        "start": handlers.on_start,
        "help": handlers.on_help,
        "language": handlers.on_language,
        "country": handlers.on_country,
        "privacy": handlers.on_privacy,
        "forget": handlers.on_forget,
    }
    for name, callback in commands.items():
        application.add_handler(CommandHandler(name, callback, filters=private & fresh))
    application.add_handler(MessageHandler(private & fresh & filters.TEXT, handlers.on_text))
    application.add_handler(
        MessageHandler(private & fresh & filters.LOCATION, handlers.on_location)
    )
    # Media and the like get "text only, for now"; service messages get nothing. A shared
    # contact (a phone number) is answered the same way and never passed on.
    other = (
        filters.VOICE | filters.AUDIO | filters.PHOTO | filters.VIDEO | filters.VIDEO_NOTE
        | filters.ANIMATION | filters.Sticker.ALL | filters.Document.ALL | filters.CONTACT
        | filters.POLL | filters.Dice.ALL | filters.STORY
    )  # fmt: skip
    application.add_handler(MessageHandler(private & fresh & other, handlers.on_unsupported))
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_error_handler(handlers.on_error)
    return application


async def setup(application: Application) -> None:
    settings: Settings = application.bot_data["settings"]
    application.bot_data["rasa"] = RasaClient(settings.rasa_url, settings.rasa_auth_token)
    application.bot_data["table"] = CallbackTable()
    try:  # the command menu, in each language Telegram may show it in
        for language in (None, *SUPPORTED_LANGUAGES):
            lang = language or "en"
            menu = [BotCommand(c, text(f"command_{c}", lang)) for c in COMMANDS]
            await application.bot.set_my_commands(menu, language_code=language)
    except TelegramError as error:
        log.warning("command menu not set (%s)", type(error).__name__)


async def teardown(application: Application) -> None:
    rasa = application.bot_data.get("rasa")
    if rasa is not None:
        await rasa.close()


def run_polling(application: Application) -> None:
    """Long polling: no public URL needed. Stops cleanly on SIGINT/SIGTERM."""
    log.info("telegram gateway: long polling")
    application.run_polling(
        allowed_updates=ALLOWED_UPDATES,
        bootstrap_retries=-1,  # Telegram unreachable at start: keep trying
        drop_pending_updates=False,  # a message sent while we were down is still answered
    )


async def serve_webhook(application: Application, settings: Settings) -> None:
    """Webhook mode: Telegram posts updates to TELEGRAM_WEBHOOK_URL with a secret token;
    a reverse proxy forwards them to TELEGRAM_WEBHOOK_LISTEN:TELEGRAM_WEBHOOK_PORT."""
    secret = webhook_secret(settings)

    async def receive(request: Request) -> Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return Response(status_code=403)
        try:
            update = Update.de_json(await request.json(), application.bot)
        except (ValueError, TypeError, KeyError):
            return Response(status_code=400)
        await application.update_queue.put(update)
        return Response()

    path = urlsplit(settings.telegram_webhook_url).path or "/"
    server = _Server(
        uvicorn.Config(
            Starlette(routes=[Route(path, receive, methods=["POST"])]),
            host=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            log_level="warning",
            access_log=False,
        )
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    async with application:
        await setup(application)
        await application.start()
        await application.bot.set_webhook(
            settings.telegram_webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
        )
        log.info("telegram gateway: webhook on port %d", settings.telegram_webhook_port)
        try:
            await server.serve()
        finally:
            await application.stop()  # answers what was received before stopping
            await teardown(application)


class _Server(uvicorn.Server):
    """uvicorn's server without its own signal handling: after serving it re-raises the
    signal it caught, which would end the process before the application has stopped."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def run(settings: Settings) -> None:
    application = build_application(settings)
    if settings.telegram_webhook_url:
        asyncio.run(serve_webhook(application, settings))
    else:
        run_polling(application)
