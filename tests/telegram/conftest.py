"""Fixtures for the Telegram gateway tests: a Bot API emulator and the real gateway."""

from __future__ import annotations

import os

import pytest

from tests.stack import free_port
from tests.telegram.emulator import BotApiEmulator
from tests.telegram.gateway import Gateway, gateway_env


@pytest.fixture(scope="session")
def emulator():
    emu = BotApiEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def gateway(stack, emulator, tmp_path_factory):
    """The gateway in front of the real stack (Rasa, action server), polling the emulator."""
    g = Gateway(emulator, gateway_env(stack.env, emulator), tmp_path_factory.mktemp("telegram"))
    g.start()
    yield g
    code = g.stop()
    assert code == 0, f"unclean shutdown ({code}):\n{g.log()[-3000:]}"


def offline_env(tmp_path, emulator: BotApiEmulator, **extra: str) -> dict[str, str]:
    """Settings for a gateway with no Rasa behind it (nothing listens on RASA_PORT)."""
    base = {
        **os.environ,
        "RASA_PORT": str(free_port()),
        "RASA_AUTH_TOKEN": "offline",
        "ID_HASH_SECRET": "offline-secret",
        "TRACKER_STORE_URL": f"sqlite:///{tmp_path / 'tracker.db'}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dalil.db'}",
        "DEFAULT_LANGUAGE": "en",
        "DEFAULT_COUNTRY": "BE",
    }
    return gateway_env(base, emulator, **extra)


@pytest.fixture
def offline(tmp_path):
    """A fresh emulator and a polling gateway without Rasa: for the gateway's own parts."""
    emu = BotApiEmulator().start()
    g = Gateway(emu, offline_env(tmp_path, emu), tmp_path).start()
    yield g
    g.stop()
    emu.stop()
