"""`.env` creation and the commands the Procfile runs."""

import stat

from bot import processes

EXAMPLE = "DEFAULT_LANGUAGE=en\nRASA_AUTH_TOKEN=\nID_HASH_SECRET=\nRASA_PORT=5005\n"


def test_init_env_writes_fresh_secrets(tmp_path):
    example, target = tmp_path / ".env.example", tmp_path / ".env"
    example.write_text(EXAMPLE)
    assert processes.init_env(example, target)
    values = dict(line.split("=", 1) for line in target.read_text().splitlines())
    assert len(values["RASA_AUTH_TOKEN"]) >= 32
    assert len(values["ID_HASH_SECRET"]) >= 32
    assert values["RASA_AUTH_TOKEN"] != values["ID_HASH_SECRET"]
    assert values["RASA_PORT"] == "5005"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_init_env_never_overwrites(tmp_path):
    example, target = tmp_path / ".env.example", tmp_path / ".env"
    example.write_text(EXAMPLE)
    target.write_text("RASA_AUTH_TOKEN=mine\n")
    assert not processes.init_env(example, target)
    assert target.read_text() == "RASA_AUTH_TOKEN=mine\n"


def test_rasa_command_is_protected_by_token(monkeypatch, tmp_path):
    monkeypatch.setenv("RASA_AUTH_TOKEN", "s3cret")
    model = tmp_path / "m.tar.gz"
    model.write_text("x")
    processes.get_settings.cache_clear()
    try:
        command = processes.rasa_command(model)
    finally:
        processes.get_settings.cache_clear()
    assert command[command.index("--auth-token") + 1] == "s3cret"
    assert "--enable-api" in command


def test_tracker_store_environment(monkeypatch):
    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql://u:p@127.0.0.1:5432/rasa")
    processes.get_settings.cache_clear()
    try:
        env = processes.rasa_environment()
    finally:
        processes.get_settings.cache_clear()
    assert env["TRACKER_DIALECT"] == "postgresql"
    assert env["TRACKER_STORE_URL"].startswith("postgresql://")
    assert env["ACTION_ENDPOINT_URL"].endswith("/webhook")
