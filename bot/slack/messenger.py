"""The scheduler's ``Messenger`` for Slack: a DM via conversations.open + chat.postMessage.

Retries are the outbox's job (it honours Retry-After and backs off with jitter, and survives
restarts), so this client has no retry handlers of its own: it turns Slack's answers into the
scheduler's delivery errors instead.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.flows.nudges import nudge_message
from bot.slack.render import fallback_text, message_blocks
from scheduler.delivery import Address, PermanentError, RateLimited, TransientError
from scheduler.nudges import Nudge

logger = logging.getLogger(__name__)

SLACK_API_URL = "https://slack.com/api/"


def outbox_client(token: str, base_url: str | None = None, timeout: int = 15) -> AsyncWebClient:
    return AsyncWebClient(
        token=token, base_url=base_url or SLACK_API_URL, timeout=timeout, retry_handlers=[]
    )


class SlackMessenger:
    platform = "slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        # user id -> DM channel id; conversations.open is costly, so concurrent nudges to one
        # person share a single call.
        self._dm: dict[str, asyncio.Future[str]] = {}
        self._session_loop: asyncio.AbstractEventLoop | None = None

    async def _call(self, method: str, **kwargs: object) -> dict:
        loop = asyncio.get_running_loop()
        if (
            self.client.session is None
            or self.client.session.closed
            or (self._session_loop is not loop)
        ):
            # One pooled HTTP session per event loop (keep-alive); without it the client
            # opens a new session for every call.
            self.client.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.client.timeout)
            )
            self._session_loop = loop
        try:
            response = await self.client.api_call(method, json=kwargs)
            return dict(response.data) if isinstance(response.data, dict) else {}
        except SlackApiError as exc:
            status = exc.response.status_code
            error = (
                (exc.response.data or {}).get("error", "")
                if isinstance(exc.response.data, dict)
                else ""
            )
            if status == 429 or error == "ratelimited":
                retry_after = float(exc.response.headers.get("Retry-After", 1))
                raise RateLimited(retry_after, f"{method} rate limited") from None
            if status >= 500 or error in (
                "internal_error",
                "fatal_error",
                "service_unavailable",
                "request_timeout",
            ):
                raise TransientError(f"{method}: HTTP {status} {error}".strip()) from None
            raise PermanentError(f"{method}: {error or f'HTTP {status}'}") from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransientError(f"{method}: {type(exc).__name__}") from None

    async def _open(self, user_id: str) -> str:
        opened = await self._call("conversations.open", users=user_id)
        return str(opened["channel"]["id"])

    async def dm_channel(self, user_id: str) -> str:
        future = self._dm.get(user_id)
        if future is None:
            future = self._dm[user_id] = asyncio.ensure_future(self._open(user_id))
        try:
            return await asyncio.shield(future)
        except Exception:
            self._dm.pop(user_id, None)  # a failed open is tried again next time
            raise

    async def close(self) -> None:
        if self.client.session is not None and not self.client.session.closed:
            await self.client.session.close()

    async def prepare(self, address: Address) -> None:
        """Open the DM before the message's send slot (conversations.open is not paced with
        chat.postMessage); later sends to this person reuse it."""
        await self.dm_channel(address.user_id)

    async def edit(self, address: Address, ref: str, nudge: Nudge) -> None:
        """Replace a message sent earlier (``ref``: "channel:ts", as ``send`` returned it)."""
        channel, _, ts = ref.partition(":")
        if not (channel and ts):
            raise PermanentError("no Slack message to edit")
        message = nudge_message(nudge)
        await self._call(
            "chat.update",
            channel=channel,
            ts=ts,
            text=fallback_text(message),
            blocks=message_blocks(message),
        )

    async def send(self, address: Address, nudge: Nudge) -> str:
        channel = await self.dm_channel(address.user_id)
        posted = await self._call(
            "chat.postMessage",
            channel=channel,
            text=fallback_text(nudge_message(nudge)),
            blocks=message_blocks(nudge_message(nudge)),
            metadata={
                "event_type": "perfbot_nudge",
                "event_payload": {
                    "outbox_id": nudge.outbox_id,
                    **({"outbox_ids": list(nudge.outbox_ids)} if nudge.outbox_ids else {}),
                },
            },
        )
        return f"{channel}:{posted.get('ts', '')}"
