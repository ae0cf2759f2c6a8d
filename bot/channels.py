"""The scheduler's channels for this process, from the settings (DESIGN.md "External contract")."""

from __future__ import annotations

import logging

from scheduler.delivery import Channel
from store.settings import Settings

logger = logging.getLogger(__name__)


def build_channels(settings: Settings) -> dict[str, Channel]:
    """Slack when its token is set, Teams when its app id is (or PERFBOT_DEV=1). Order is
    preference: a person with both gets Slack."""
    channels: dict[str, Channel] = {}
    if settings.slack_bot_token:
        from bot.slack.channel import SlackChannel, outbox_client

        channels["slack"] = SlackChannel(
            outbox_client(settings.slack_bot_token, settings.slack_api_url)
        )
    if settings.teams_enabled:
        from bot.teams.channel import teams_channel

        channels["teams"] = teams_channel(
            settings.microsoft_app_id,
            settings.microsoft_app_password,
            settings.microsoft_app_tenant_id,
        )
    return channels
