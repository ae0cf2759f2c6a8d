"""The scheduler's ``Messenger`` for Teams: a proactive message into the personal chat whose
conversation reference was stored when the person installed or first wrote to perfbot.

botbuilder neither paces nor retries, so this channel turns the Bot Connector's answers into
the scheduler's delivery errors: 429 (with Retry-After) is ``RateLimited``; 412, 500, 502,
503, 504 and dropped connections are ``TransientError``, retried by the outbox with backoff
and jitter (and across restarts); anything else is ``PermanentError``. The outbox paces
Teams by its own limits (``[delivery.teams]``), not Slack's.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import ConversationReference
from msrest.exceptions import ClientRequestError, HttpOperationError

from bot.flows.nudges import nudge_message
from bot.teams.app import bot_framework_auth, card_activity
from bot.teams.cards import message_card
from scheduler.delivery import Address, PermanentError, RateLimited, TransientError
from scheduler.nudges import Nudge

logger = logging.getLogger(__name__)

RETRIED = {412, 500, 502, 503, 504}


class TeamsMessenger:
    platform = "teams"

    def __init__(self, adapter: CloudAdapter, app_id: str = "") -> None:
        self.adapter, self.app_id = adapter, app_id

    async def send(self, address: Address, nudge: Nudge) -> str:
        sent: dict[str, str] = {}

        async def deliver(turn: TurnContext) -> None:
            response = await turn.send_activity(card_activity(message_card(nudge_message(nudge))))
            sent["id"] = getattr(response, "id", "") or ""

        reference = await self._in_conversation(address, deliver)
        return f"{reference.conversation.id}:{sent.get('id', '')}"

    async def edit(self, address: Address, ref: str, nudge: Nudge) -> None:
        """Replace a card sent earlier (``ref`` as ``send`` returned it) with this one."""
        activity_id = ref.rpartition(":")[2]
        if not activity_id:
            raise PermanentError("no Teams message id to edit")

        async def replace(turn: TurnContext) -> None:
            update = card_activity(message_card(nudge_message(nudge)))
            update.id = activity_id
            await turn.update_activity(update)

        await self._in_conversation(address, replace)

    async def _in_conversation(self, address: Address, act: Any) -> ConversationReference:
        """Run ``act`` in the person's personal chat, with the Connector's answers turned into
        delivery errors."""
        if not address.conversation_ref:
            raise PermanentError(
                "no Teams conversation for this person yet: they need to open perfbot in Teams once"
            )
        reference = ConversationReference().deserialize(address.conversation_ref)
        try:
            await self.adapter.continue_conversation(reference, act, self.app_id)
        except HttpOperationError as exc:
            response = exc.response
            status = getattr(response, "status_code", 0) or 0
            if status == 429:
                retry_after = (getattr(response, "headers", None) or {}).get("Retry-After", "1")
                raise RateLimited(_seconds(retry_after), "Teams throttled (429)") from None
            if status in RETRIED:
                raise TransientError(f"Teams connector: HTTP {status}") from None
            raise PermanentError(f"Teams connector: HTTP {status}") from None
        except (ClientRequestError, requests.RequestException, TimeoutError, OSError) as exc:
            raise TransientError(f"Teams connector: {type(exc).__name__}") from None
        return reference


def _seconds(value: str) -> float:
    try:
        return max(float(value), 0.0)
    except ValueError:
        return 1.0


def teams_messenger(
    app_id: str | None, app_password: str | None, tenant_id: str | None
) -> TeamsMessenger:
    """The outbox's Teams channel for a process that may not serve /api/messages itself
    (``perfbot scheduler``): its own adapter, with no turn-error handler."""
    return TeamsMessenger(
        CloudAdapter(bot_framework_auth(app_id, app_password, tenant_id)), app_id or ""
    )
