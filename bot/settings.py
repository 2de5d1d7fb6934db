"""The one settings object: environment variables, then `.env`, then defaults."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED_LANGUAGES = ("en", "fr", "nl", "ar")
SUPPORTED_COUNTRIES = ("BE", "MA")


class Settings(BaseSettings):
    """Every knob Dalil reads. Documented in `.env.example`."""

    model_config = SettingsConfigDict(
        env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore"
    )

    default_language: str = Field("en", pattern="^(en|fr|nl|ar)$")
    default_country: str = Field("BE", pattern="^(BE|MA)$")

    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    actions_port: int = 5055
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    rasa_auth_token: str = ""
    id_hash_secret: str = ""
    rasa_cors: str = "*"
    widget_server_url: str = ""  # Rasa as browsers reach it; empty: this host, rasa_port

    database_url: str = f"sqlite:///{ROOT / 'var' / 'dalil.db'}"
    tracker_store_url: str = f"sqlite:///{ROOT / 'var' / 'tracker.db'}"
    action_endpoint_url: str = ""
    model_dir: Path = ROOT / "models"
    # Telegram gateway (bot/telegram): long polling unless a webhook URL is set.
    telegram_token: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""  # empty: derived from the token and ID_HASH_SECRET
    telegram_webhook_listen: str = "127.0.0.1"
    telegram_webhook_port: int = 8443
    telegram_api_base_url: str = ""  # python-telegram-bot's base_url; empty: Telegram's own

    # Staff console (bot/web/admin): signs the session cookie; Secure cookies behind https.
    admin_secret_key: str = ""
    admin_secure_cookies: bool = False

    @property
    def rasa_url(self) -> str:
        return f"http://{self.rasa_host}:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return self.action_endpoint_url or f"http://127.0.0.1:{self.actions_port}/webhook"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
