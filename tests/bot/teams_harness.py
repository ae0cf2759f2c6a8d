"""Drive perfbot's real aiohttp server with Bot Framework activities in Teams' wire format
(messages, Action.Execute invokes), answered by the fake Bot Connector."""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp.test_utils import TestClient

from tests.fakes import FakeBotConnector

TENANT = "tenant-1"
_ids = itertools.count(1)


def activity(connector: FakeBotConnector, person_id: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"in-{next(_ids)}",
        "timestamp": "2026-07-15T09:30:00.000Z",
        "serviceUrl": connector.url,
        "channelId": "msteams",
        "from": {"id": f"29:user-{person_id}", "aadObjectId": f"aad-{person_id}", "name": "x"},
        "conversation": {"id": f"a:personal-{person_id}", "conversationType": "personal",
                         "tenantId": TENANT},
        "recipient": {"id": "28:perfbot", "name": "perfbot"},
        "channelData": {"tenant": {"id": TENANT}},
        **fields,
    }  # fmt: skip


def link_in_teams(session: Any, person_id: int, connector: FakeBotConnector, now: Any) -> None:
    """Link a person to their Teams personal chat, as installing perfbot there does."""
    from store import services as svc

    svc.link_chat_identity(
        session, person_id=person_id, platform="teams", external_id=f"aad-{person_id}",
        now=now, workspace_id=TENANT,
        conversation_ref={
            "activityId": "in-1", "channelId": "msteams", "serviceUrl": connector.url,
            "user": {"id": f"29:user-{person_id}", "aadObjectId": f"aad-{person_id}"},
            "bot": {"id": "28:perfbot", "name": "perfbot"},
            "conversation": {"id": f"a:personal-{person_id}", "conversationType": "personal",
                             "tenantId": TENANT},
        },
    )  # fmt: skip


class Teams:
    def __init__(self, client: TestClient, connector: FakeBotConnector) -> None:
        self.client, self.connector = client, connector

    async def say(self, person_id: int, text: str) -> Any:
        body = activity(self.connector, person_id, type="message", text=text)
        return await self.client.post("/api/messages", json=body)

    async def execute(
        self, person_id: int, verb: str, data: dict[str, Any], reply_to: str | None = None
    ) -> dict[str, Any]:
        """An Action.Execute on a card: the invoke, and the card Teams is told to show."""
        body = activity(
            self.connector, person_id, type="invoke", name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data},
                   "trigger": "manual"},
            **({"replyToId": reply_to} if reply_to else {}),
        )  # fmt: skip
        answer = await self.client.post("/api/messages", json=body)
        assert answer.status == 200, await answer.text()
        payload = await answer.json()
        assert payload["statusCode"] == 200
        if payload["type"] == "application/vnd.microsoft.activity.message":
            return {"kept": payload["value"]}  # the pressed card stays; this note goes under it
        assert payload["type"] == "application/vnd.microsoft.card.adaptive"
        return payload["value"]

    async def open(
        self, person_id: int, verb: str, data: dict[str, Any], reply_to: str | None = None
    ) -> dict[str, Any]:
        """A button that opens a form or page: it arrives under the pressed card, which
        stays; the card that arrived."""
        sent = len(self.connector.cards_sent())
        answer = await self.execute(person_id, verb, data, reply_to)
        assert answer == {"kept": "Opened below."}, answer
        (card,) = self.connector.cards_sent()[sent:]
        return card


async def answer_file(
    teams: Teams, person_id: int, consent: dict[str, Any], action: str, reply_to: str
) -> Any:
    """The person presses Accept or Decline on a file consent card: Teams' invoke, with where
    to upload when accepted."""
    value: dict[str, Any] = {
        "type": "fileUpload", "action": action, "context": consent["content"]["acceptContext"],
    }  # fmt: skip
    if action == "accept":
        value["uploadInfo"] = teams.connector.upload_info(consent["name"])
    body = activity(teams.connector, person_id, type="invoke", name="fileConsent/invoke",
                    value=value, replyToId=reply_to)  # fmt: skip
    return await teams.client.post("/api/messages", json=body)


def submit_data(card: dict[str, Any], inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """What Teams sends when the form card's submit is pressed with these inputs."""
    (action,) = [a for a in card["actions"] if a["verb"].startswith("perf:")]
    shown = {e["id"]: e["value"] for e in card["body"] if "id" in e and "value" in e}
    return action["verb"], {**action["data"], **shown, **inputs}  # Teams sends every input
