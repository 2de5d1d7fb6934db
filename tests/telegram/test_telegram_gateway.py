"""The real gateway process against the Bot API emulator, without Rasa behind it: its own
commands, retries, flood control, webhook mode, shutdown, and the fallback when Rasa is
unreachable. (With the real Rasa and action servers: test_telegram_e2e.py.)"""

from __future__ import annotations

import html
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from bot.settings import ROOT
from bot.telegram.texts import text
from tests.stack import free_port
from tests.telegram.conftest import offline_env
from tests.telegram.emulator import BotApiEmulator, TelegramUser, buttons
from tests.telegram.gateway import Gateway


def plain(message: dict) -> str:
    return html.unescape(message.get("text", ""))


def test_privacy_in_the_users_language_and_commands_menu(offline):
    user = TelegramUser(offline.emulator, language_code="fr-BE")
    user.says("/privacy")
    replies = user.wait_replies(lambda r: len(r) >= 1, 30, "the privacy text")
    assert plain(replies[0]) == text("privacy", "fr")
    assert replies[0]["parse_mode"] == "HTML"
    menus = offline.emulator.called("setMyCommands")
    assert {c["params"].get("language_code") for c in menus} >= {"en", "fr", "nl", "ar"}
    assert [c["command"] for c in menus[0]["params"]["commands"]] == [
        "start", "help", "language", "country", "privacy", "forget",
    ]  # fmt: skip
    assert offline.emulator.unknown == []


def test_start_offers_the_four_languages(offline):
    user = TelegramUser(offline.emulator, language_code="ar")
    user.says("/start")
    (welcome,) = user.wait_replies(lambda r: len(r) >= 1, 30, "the welcome")
    assert plain(welcome) == text("welcome", "ar")
    assert buttons(welcome) == ["English", "Français", "Nederlands", "العربية"]


def test_rasa_unreachable_gets_a_short_message_with_emergency_numbers(offline):
    user = TelegramUser(offline.emulator, language_code="nl")
    user.says("hallo, ik heb hulp nodig")
    (reply,) = user.wait_replies(lambda r: len(r) >= 1, 30, "the fallback")
    assert plain(reply).startswith(text("unavailable", "nl"))
    assert "112" in plain(reply)  # DEFAULT_COUNTRY=BE


def test_flood_control_tells_the_user_once(offline):
    user = TelegramUser(offline.emulator, language_code="en")
    for _ in range(20):
        user.emulator.push("message", user._message(text="/privacy", entities=[
            {"type": "bot_command", "offset": 0, "length": 8}]))  # fmt: skip
    limited = text("rate_limited", "en")
    replies = user.wait_replies(
        lambda r: any(plain(m) == limited for m in r)
        and sum(plain(m) == text("privacy", "en") for m in r) >= 8,
        30,
        "the rate-limit notice",
    )
    assert sum(plain(m) == limited for m in replies) == 1
    assert sum(plain(m) == text("privacy", "en") for m in replies) < 20
    assert len(replies) < 20  # dropped updates got no answer at all


def test_telegram_errors_are_retried_429_and_502(offline):
    emulator = offline.emulator
    emulator.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    emulator.fail("sendMessage", 502, "Bad Gateway")
    user = TelegramUser(emulator, language_code="en")
    started = time.monotonic()
    user.says("/privacy")
    (reply,) = user.wait_replies(lambda r: len(r) >= 1, 30, "the privacy text after retries")
    assert plain(reply) == text("privacy", "en")
    attempts = emulator.called("sendMessage")[-3:]
    assert [a["failed"] for a in attempts] == [True, True, False]
    assert time.monotonic() - started >= 1  # waited as long as Telegram asked


def test_forget_can_be_cancelled(offline):
    user = TelegramUser(offline.emulator, language_code="en")
    user.says("/forget")
    (confirm,) = user.wait_replies(lambda r: len(r) >= 1, 30, "the confirmation")
    assert plain(confirm) == text("forget_confirm", "en")
    user.taps(text("forget_no", "en"))
    (kept,) = user.wait_replies(lambda r: len(r) >= 1, 30, "the cancellation")
    assert plain(kept) == text("forget_kept", "en")
    assert offline.emulator.called("answerCallbackQuery")
    edits = offline.emulator.called("editMessageReplyMarkup")
    assert edits and edits[-1]["params"]["message_id"] == confirm["message_id"]


def test_clean_shutdown_answers_what_it_received(tmp_path):
    emulator = BotApiEmulator().start()
    try:
        gateway = Gateway(emulator, offline_env(tmp_path, emulator), tmp_path).start()
        user = TelegramUser(emulator, language_code="en")
        update_id = user.says("/privacy")
        emulator.wait(lambda: emulator.delivered >= update_id, 30, "the update to be fetched")
        assert gateway.stop() == 0
        assert [plain(m) for m in user.replies()] == [text("privacy", "en")]
    finally:
        emulator.stop()


def test_webhook_mode_checks_the_secret_token(tmp_path):
    emulator = BotApiEmulator().start()
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/updates"
    env = offline_env(tmp_path, emulator, TELEGRAM_WEBHOOK_URL=url, TELEGRAM_WEBHOOK_PORT=str(port))
    gateway = Gateway(emulator, env, tmp_path)
    try:
        gateway.start(ready="setWebhook")
        secret = emulator.webhook["secret_token"]
        assert emulator.webhook["url"] == url and len(secret) >= 32
        user = TelegramUser(emulator, language_code="ar")
        forged = {"update_id": 99, "message": user._message(text="/privacy")}
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            assert httpx.post(url, json=forged, headers=headers).status_code == 403
        user.says("/privacy")  # posted by the emulator with the secret token
        (reply,) = user.wait_replies(lambda r: len(r) >= 1, 30, "the privacy text")
        assert plain(reply) == text("privacy", "ar")
        assert not emulator.called("getUpdates")
        assert gateway.stop() == 0
    finally:
        gateway.stop()
        emulator.stop()


def test_without_a_token_it_explains_and_waits(tmp_path):
    env = {**os.environ, "TELEGRAM_TOKEN": ""}
    direct = subprocess.run(
        [sys.executable, "-m", "bot.telegram"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert direct.returncode == 2 and "@BotFather" in direct.stdout
    # Under honcho (make run) it must not exit: that would stop every other process.
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.processes", "telegram"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        assert "TELEGRAM_TOKEN" in proc.stdout.readline()
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(2)  # still running: a short bounded wait, not an assertion by sleep
        os.killpg(proc.pid, signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_other_message_types_get_a_polite_text_only_reply(offline):
    user = TelegramUser(offline.emulator, language_code="ar")
    user.sends_sticker()
    replies = user.wait_replies(lambda r: len(r) >= 2, 30, "the replies to a sticker")
    assert plain(replies[0]) == text("unsupported", "ar")
    # The menu comes from Rasa, which is not running here: the fallback says so.
    assert plain(replies[1]).startswith(text("unavailable", "ar"))
    log = offline.log()
    assert str(user.id) not in log and user.first_name not in log


def test_make_run_starts_the_gateway_from_the_procfile():
    procfile = (ROOT / "Procfile").read_text()
    assert "telegram: .venv/app/bin/python -m bot.processes telegram" in procfile
    from bot import processes

    assert processes.telegram_command()[-2:] == ["-m", "bot.telegram"]
