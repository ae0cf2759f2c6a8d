"""Process settings from the environment (DESIGN.md, "External contract"), read once."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from store.config import DepartmentConfig, load_config
from store.errors import PerfbotError


class Settings(BaseSettings):
    """Typed settings; secrets come only from the environment."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///perfbot.db", alias="DATABASE_URL")
    perfbot_config: Path | None = Field(None, alias="PERFBOT_CONFIG")
    host: str = Field("127.0.0.1", alias="HOST")
    port: int = Field(3000, alias="PORT", ge=1, le=65535)
    perfbot_dev: bool = Field(False, alias="PERFBOT_DEV")
    slack_bot_token: str | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str | None = Field(None, alias="SLACK_API_URL")
    microsoft_app_id: str | None = Field(None, alias="MICROSOFT_APP_ID")
    microsoft_app_password: str | None = Field(None, alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_tenant_id: str | None = Field(None, alias="MICROSOFT_APP_TENANT_ID")
    # Install perfbot through Microsoft Graph for people Teams has never shown it to.
    teams_proactive_install: bool = Field(False, alias="TEAMS_PROACTIVE_INSTALL")
    graph_api_url: str | None = Field(None, alias="GRAPH_API_URL")  # tests: a fake Graph
    microsoft_login_url: str | None = Field(None, alias="MICROSOFT_LOGIN_URL")

    @field_validator("perfbot_config", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: object) -> object:
        return None if value == "" else value  # PERFBOT_CONFIG= (as compose passes it): none

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token and (self.slack_signing_secret or self.slack_app_token))

    @property
    def teams_enabled(self) -> bool:
        return bool(self.microsoft_app_id or self.perfbot_dev)

    def department(self) -> DepartmentConfig:
        if self.teams_proactive_install and not (
            self.microsoft_app_id and self.microsoft_app_password and self.microsoft_app_tenant_id
        ):
            raise PerfbotError(
                "TEAMS_PROACTIVE_INSTALL=1 needs MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and "
                "MICROSOFT_APP_TENANT_ID: perfbot asks Microsoft Graph as that app, in that tenant."
            )
        return load_config(self.perfbot_config)
