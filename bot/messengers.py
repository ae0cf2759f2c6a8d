"""The scheduler's messengers for this process, from the settings (see DESIGN.md)."""

from __future__ import annotations

import logging

from scheduler.delivery import Messenger
from store.settings import Settings

logger = logging.getLogger(__name__)


def build_messengers(settings: Settings) -> dict[str, Messenger]:
    """Slack when its token is set, Teams when its app id is (or PERFBOT_DEV=1). Order is
    preference: a person with both gets Slack."""
    messengers: dict[str, Messenger] = {}
    if settings.slack_bot_token:
        from bot.slack.messenger import SlackMessenger, outbox_client

        messengers["slack"] = SlackMessenger(
            outbox_client(settings.slack_bot_token, settings.slack_api_url)
        )
    if settings.teams_enabled:
        from bot.teams.messenger import teams_messenger

        messengers["teams"] = teams_messenger(
            settings.microsoft_app_id,
            settings.microsoft_app_password,
            settings.microsoft_app_tenant_id,
        )
    return messengers
