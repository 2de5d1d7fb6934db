"""The real gateway as a process (``python -m bot.processes telegram``), as make run starts it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.settings import ROOT
from tests.telegram.emulator import BotApiEmulator


def gateway_env(base: dict[str, str], emulator: BotApiEmulator, **extra: str) -> dict[str, str]:
    """``base`` plus Telegram settings for ``emulator``; a developer's .env never leaks in."""
    return {
        **base,
        "TELEGRAM_TOKEN": emulator.token,
        "TELEGRAM_API_BASE_URL": emulator.base_url,
        "TELEGRAM_WEBHOOK_URL": "",
        "TELEGRAM_WEBHOOK_SECRET": "",
        **extra,
    }


class Gateway:
    def __init__(self, emulator: BotApiEmulator, env: dict[str, str], logs: Path) -> None:
        self.emulator, self.env, self.log_path = emulator, env, logs / "telegram.log"
        self.proc: subprocess.Popen | None = None

    def start(self, ready: str = "getUpdates") -> Gateway:
        """Start and wait until the gateway polls (or, for a webhook, has set it)."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.processes", "telegram"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

        def up() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited ({self.proc.returncode}):\n{self.log()}")
            return bool(self.emulator.called(ready))

        self.emulator.wait(up, 60, f"the gateway to call {ready}")
        return self

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM, as honcho sends on Ctrl-C; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            return None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
