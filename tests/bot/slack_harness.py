"""Drive perfbot's real aiohttp server over HTTP with signed Slack payloads in Slack's wire
formats (form-encoded slash commands; ``payload=`` for interactivity; JSON event callbacks),
with SLACK_API_URL pointed at the fake Slack Web API."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from bot.slack.app import SlackAdapter
from bot.web import make_app
from store.config import DepartmentConfig
from store.db import Database
from tests.fakes import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T1"


def user_id(person_id: int) -> str:
    return f"U{person_id:06d}"


def sign(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Slack:
    """One running perfbot (real HTTP) and the fake Slack it talks to."""

    client: TestClient[Any, Any]
    fake: FakeSlack
    adapter: SlackAdapter
    responses_seen: int = 0

    async def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> Any:
        all_headers = {
            "Content-Type": content_type,
            **(sign(body) if signed else {}),
            **(headers or {}),
        }
        return await self.client.post("/slack/events", data=body.encode(), headers=all_headers)

    async def command(self, person_id: int, text: str) -> Any:
        body = urllib.parse.urlencode(
            {
                "token": "legacy",
                "team_id": TEAM,
                "team_domain": "dept",
                "channel_id": "C1",
                "channel_name": "directmessage",
                "user_id": user_id(person_id),
                "user_name": "x",
                "command": "/perf",
                "text": text,
                "api_app_id": "A1",
                "response_url": f"http://127.0.0.1:{self.fake.port}/response/1",
                "trigger_id": f"trig-{time.monotonic_ns()}",
            }
        )
        return await self.post(body, "application/x-www-form-urlencoded")

    async def interactive(self, payload: dict[str, Any], **kwargs: Any) -> Any:
        payload = {
            "api_app_id": "A1",
            "token": "legacy",
            "team": {"id": TEAM},
            "trigger_id": f"trig-{time.monotonic_ns()}",
            "response_url": f"http://127.0.0.1:{self.fake.port}/response/2",
            **payload,
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.post(body, "application/x-www-form-urlencoded", **kwargs)

    async def click(
        self,
        person_id: int,
        action_id: str,
        value: str,
        *,
        channel: str = "D1",
        ts: str = "1700000000.000100",
    ) -> Any:
        return await self.interactive(
            {
                "type": "block_actions",
                "user": {"id": user_id(person_id)},
                "channel": {"id": channel},
                "message": {"ts": ts, "text": "nudge"},
                "container": {"type": "message", "message_ts": ts, "channel_id": channel},
                "actions": [
                    {
                        "type": "button",
                        "action_id": action_id,
                        "block_id": "b",
                        "value": value,
                        "action_ts": "1",
                    }
                ],
            }
        )

    async def submit(
        self,
        person_id: int,
        view: dict[str, Any],
        values: dict[str, Any],
        **stack: str,
    ) -> Any:
        """Submit a modal that perfbot opened, with neutral values filled into its inputs;
        ``stack`` gives Slack's view ids when it was pushed (root_view_id, previous_view_id)."""
        state: dict[str, Any] = {}
        for block in view["blocks"]:
            if block["type"] != "input":
                continue
            element, field = block["element"], block["block_id"]
            if field not in values:
                continue
            state[field] = {field: _element_value(element, values[field])}
        return await self.interactive(
            {
                "type": "view_submission",
                "user": {"id": user_id(person_id)},
                "view": {
                    "id": "V1",
                    "type": "modal",
                    "callback_id": view["callback_id"],
                    "private_metadata": view["private_metadata"],
                    "blocks": view["blocks"],
                    "state": {"values": state},
                    **stack,
                },
            }
        )

    async def event(self, event: dict[str, Any], event_id: str, *, retry: int | None = None) -> Any:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": TEAM,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        headers = (
            {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
            if retry
            else None
        )
        return await self.post(body, "application/json", headers=headers)

    async def opened_view(self, count: int = 1) -> dict[str, Any]:
        """The view perfbot asked Slack to open (the count-th views.open)."""
        calls = await self.fake.wait_for("views.open", count)
        assert len(calls) >= count, "perfbot did not open a modal"
        view = calls[count - 1]["view"]
        return json.loads(view) if isinstance(view, str) else view

    async def response(self) -> dict[str, Any]:
        """The next message perfbot sent to a response_url (ephemeral replies)."""
        import asyncio

        for _ in range(250):
            if len(self.fake.responses) > self.responses_seen:
                self.responses_seen += 1
                return self.fake.responses[self.responses_seen - 1]
            await asyncio.sleep(0.02)
        raise AssertionError("no response_url message")


def _element_value(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element["type"]
    if kind in ("static_select", "radio_buttons"):
        return {
            "type": kind,
            "selected_option": None
            if value is None
            else {"value": str(value), "text": {"type": "plain_text", "text": str(value)}},
        }
    if kind == "checkboxes":
        return {"type": kind, "selected_options": [{"value": "yes"}] if value else []}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value}
    return {"type": kind, "value": None if value is None else str(value)}


async def start(db: Database, config: DepartmentConfig, fake: FakeSlack, clock: Any) -> Slack:
    adapter = SlackAdapter(
        db, config, token=FakeSlack.TOKEN, signing_secret=SECRET, api_url=fake.url, clock=clock
    )
    client = TestClient(TestServer(make_app(db, slack=adapter)))
    await client.start_server()
    return Slack(client, fake, adapter)
