"""Settings: one pydantic-settings object, read from the environment or `.env`."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.delivery import quiet

LANGUAGES = ("vi", "en")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HOCVUSO_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    bot_token: str | None = None
    api_url: str | None = None
    database_url: str = "sqlite+aiosqlite:///hocvuso.db"
    redis_url: str | None = None
    superadmins: Annotated[frozenset[int], NoDecode] = Field(default_factory=frozenset)
    timezone: str = "Asia/Ho_Chi_Minh"
    default_language: str = "vi"
    send_rate: float = 30.0
    quiet_hours: str = "21:00-06:30"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "0.0.0.0:8080"
    bot_username: str | None = None
    # How quiz questions are shown: native quiz polls, or numbered text answers ("1", "2")
    # for a channel without polls.
    quiz_rendering: Literal["poll", "text"] = "poll"
    # The largest file /export sends as it is (bytes): Telegram takes 50 MB from bots (2 GB
    # through a local Bot API server). Above it the file is compressed, or cut into parts.
    export_upload_limit: int = Field(default=50_000_000, ge=1_000)

    @field_validator("superadmins", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"must be one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _window(cls, value: str) -> str:
        parse_window(value)
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_window(value: str) -> tuple[time, time] | None:
    """Parse `HH:MM-HH:MM` (it may wrap past midnight); "off" is no quiet hours."""
    try:
        return quiet.parse(value)
    except ValueError as exc:
        raise ValueError("must look like 21:00-06:30, or off") from exc
