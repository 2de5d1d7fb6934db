"""Start Dalil's processes with the values from the one settings object.

Used by the Procfile (``python -m bot.processes rasa|actions|web|telegram``) and the Makefile
(``init-env``). Rasa lives in its own Python 3.10 environment, so it is started as a
program with its configuration passed through the environment and the command line.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import ROOT, get_settings

ENGINE_BIN = ROOT / ".venv" / "engine" / "bin"
APP_BIN = Path(sys.executable).parent
SECRET_KEYS = ("RASA_AUTH_TOKEN", "ID_HASH_SECRET", "ADMIN_SECRET_KEY")


def latest_model(model_dir: Path) -> Path | None:
    models = sorted(model_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def rasa_environment() -> dict[str, str]:
    """Environment for ``rasa run``: endpoints.yml reads these variables."""
    settings = get_settings()
    url = make_url(settings.tracker_store_url)
    sqlite = url.get_backend_name() == "sqlite"
    env = dict(os.environ)
    env.update(
        ACTION_ENDPOINT_URL=settings.actions_url,
        TRACKER_DIALECT=url.get_backend_name(),
        # Rasa takes a full URL in `url`, but wants a SQLite file as `db` alone.
        TRACKER_STORE_URL="" if sqlite else settings.tracker_store_url,
        TRACKER_DB=url.database or "",
        PYTHONPATH=str(ROOT),
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        TF_CPP_MIN_LOG_LEVEL="2",
        # No telemetry or crash reports leave the machine (privacy; no network here).
        RASA_TELEMETRY_ENABLED="false",
        PYTHONWARNINGS="ignore::DeprecationWarning",
    )
    if url.get_backend_name() == "sqlite" and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    return env


def rasa_command(model: Path | None = None) -> list[str]:
    settings = get_settings()
    if not settings.rasa_auth_token:
        raise SystemExit("RASA_AUTH_TOKEN is empty: run `make env` (writes .env) first.")
    model = model or latest_model(settings.model_dir)
    if model is None:
        raise SystemExit("No trained model in models/: run `make train` first.")
    return [
        str(ENGINE_BIN / "rasa"),
        "run",
        "--enable-api",
        "--auth-token",
        settings.rasa_auth_token,
        "--cors",
        settings.rasa_cors,
        "--interface",
        settings.rasa_host,
        "--port",
        str(settings.rasa_port),
        "--model",
        str(model),
        "--endpoints",
        str(ROOT / "endpoints.yml"),
        "--credentials",
        str(ROOT / "credentials.yml"),
    ]


def actions_command() -> list[str]:
    settings = get_settings()
    return [
        str(APP_BIN / "python"),
        "-m",
        "rasa_sdk",
        "--actions",
        "actions",
        "--port",
        str(settings.actions_port),
    ]


def web_command() -> list[str]:
    settings = get_settings()
    return [
        str(APP_BIN / "python"),
        "-m",
        "uvicorn",
        "bot.web.app:app",
        "--host",
        settings.web_host,
        "--port",
        str(settings.web_port),
        "--no-access-log",
    ]


def telegram_command() -> list[str]:
    return [str(APP_BIN / "python"), "-m", "bot.telegram"]


def wait_idle() -> None:
    """Stay up doing nothing until stopped: honcho stops every process when one exits."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            signal.pause()
    except KeyboardInterrupt:
        pass


def init_env(example: Path = ROOT / ".env.example", target: Path = ROOT / ".env") -> bool:
    """Write `.env` from `.env.example` with fresh secrets; never overwrite one."""
    if target.exists():
        return False
    lines = []
    for line in example.read_text(encoding="utf-8").splitlines():
        key = line.split("=", 1)[0].strip()
        if key in SECRET_KEYS:
            line = f"{key}={secrets.token_urlsafe(32)}"
        lines.append(line)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    target.chmod(0o600)
    return True


def main(argv: list[str]) -> None:
    command = argv[1] if len(argv) > 1 else ""
    if command == "init-env":
        wrote = init_env()
        print(".env written with new secrets" if wrote else ".env exists: left unchanged")
        return
    if command == "rasa":
        os.chdir(ROOT)
        os.execve(rasa_command()[0], rasa_command(), rasa_environment())
    if command == "actions":
        os.chdir(ROOT)
        cmd = actions_command()
        os.execv(cmd[0], cmd)
    if command == "web":
        os.chdir(ROOT)
        cmd = web_command()
        os.execv(cmd[0], cmd)
    if command == "telegram":
        os.chdir(ROOT)
        if not get_settings().telegram_token:
            from bot.telegram import SETUP_HELP

            print(SETUP_HELP, flush=True)
            wait_idle()
            return
        cmd = telegram_command()
        os.execv(cmd[0], cmd)
    if command == "urls":
        s = get_settings()
        print(f"Rasa (REST + socket.io): {s.rasa_url}/webhooks/rest/webhook")
        print(f"Action server:           http://127.0.0.1:{s.actions_port}/health")
        print(f"Web app (health):        http://{s.web_host}:{s.web_port}/health")
        if s.telegram_token:
            mode = "webhook " + s.telegram_webhook_url if s.telegram_webhook_url else "polling"
            print(f"Telegram gateway:        {mode}")
        else:
            print("Telegram gateway:        off (set TELEGRAM_TOKEN in .env, see README)")
        print(f"Web chat widget demo:    http://{s.web_host}:{s.web_port}/")
        return
    raise SystemExit("usage: python -m bot.processes init-env|rasa|actions|web|telegram|urls")


if __name__ == "__main__":
    main(sys.argv)
