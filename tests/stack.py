"""The real stack for end-to-end tests: Rasa server, action server and web app.

Started once per test session on free ports with throw-away databases, exactly as the
Procfile starts them; every channel test (REST, Telegram, web widget, staff console)
talks to the same processes. A test that stops a process starts it again with
``Stack.restart`` so the tests after it find the stack whole.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import yaml

from bot.settings import ROOT

MODEL = ROOT / "models" / "dalil.tar.gz"
TOKEN = "e2e-" + uuid.uuid4().hex
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def response_text(name: str, language: str) -> str:
    """The text of a response as the domain defines it for ``language``."""
    for variation in DOMAIN["responses"][name]:
        conditions = variation.get("condition") or []
        langs = [c["value"] for c in conditions if c.get("name") == "language"]
        if (langs and langs[0] == language) or (not langs and language == "en"):
            return variation["text"]
    raise KeyError(name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Until ``url`` answers 200; fails early if ``proc`` dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(url)


def new_sender() -> str:
    return uuid.uuid4().hex


class Stack:
    HEALTH = {
        "actions": "http://127.0.0.1:{actions_port}/health",
        "web": "http://127.0.0.1:{web_port}/openapi.json",
        "rasa": "http://127.0.0.1:{rasa_port}/",
    }
    # Generous: loading the model takes minutes on a busy 2-core machine.
    TIMEOUT = {"actions": 120, "web": 120, "rasa": 900}

    def __init__(self, tmp: Path) -> None:
        self.rasa_port, self.actions_port, self.web_port = (free_port() for _ in range(3))
        self.tmp = tmp
        self.env = {
            **os.environ,
            "RASA_PORT": str(self.rasa_port),
            "ACTIONS_PORT": str(self.actions_port),
            "WEB_PORT": str(self.web_port),
            "RASA_AUTH_TOKEN": TOKEN,
            "ID_HASH_SECRET": "e2e",
            "ADMIN_SECRET_KEY": "e2e-admin-" + uuid.uuid4().hex,
            "TRACKER_STORE_URL": f"sqlite:///{tmp / 'tracker.db'}",
            "DATABASE_URL": f"sqlite:///{tmp / 'dalil.db'}",
            "DEFAULT_LANGUAGE": "en",
            "DEFAULT_COUNTRY": "BE",
        }
        self.logs = tmp
        self.procs: dict[str, subprocess.Popen] = {}

    def prepare_database(self) -> None:
        for step in (["-m", "alembic", "upgrade", "head"], ["-m", "bot.seed"]):
            subprocess.run(
                [sys.executable, *step], cwd=ROOT, env=self.env, check=True, capture_output=True
            )

    def start(self, name: str, wait: bool = True) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.processes", name],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        if wait:
            wait_http(self.HEALTH[name].format(**vars(self)), self.TIMEOUT[name], proc)
        return proc

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def dump_logs(self) -> None:
        for name in ("rasa", "actions", "web"):
            log = self.logs / f"{name}.log"
            if log.exists():
                print(f"--- {name} log ---\n{log.read_text(errors='replace')[-4000:]}")

    @property
    def rasa(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def say(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        body = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        reply = httpx.post(f"{self.rasa}/webhooks/rest/webhook", json=body, timeout=30)
        reply.raise_for_status()
        return reply.json()
