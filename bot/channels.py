"""The scheduler's channels for this process, from the settings (DESIGN.md "External contract")."""

from __future__ import annotations

import logging

from scheduler.delivery import Channel
from store.settings import Settings

logger = logging.getLogger(__name__)


def build_channels(settings: Settings) -> dict[str, Channel]:
    """Slack when its token is set (Teams joins here when it is built). Order is preference."""
    channels: dict[str, Channel] = {}
    if settings.slack_bot_token:
        from bot.slack.channel import SlackChannel, outbox_client

        channels["slack"] = SlackChannel(
            outbox_client(settings.slack_bot_token, settings.slack_api_url)
        )
    return channels
