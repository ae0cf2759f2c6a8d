"""Reaching everyone in Teams: a bot can only message someone who has it installed, so
perfbot installs itself, through Microsoft Graph, for people in the roster that Teams has
never shown it (``TEAMS_PROACTIVE_INSTALL=1``).

Graph is asked as the app itself (client credentials, the Entra application permission
``TeamsAppInstallation.ReadWriteSelfForUser.All``, granted by an admin): install the app
from the organisation's catalogue in the person's personal scope. Teams then tells the bot
it was added (a ``conversationUpdate``), and that is where perfbot learns the chat to nudge
them in (``TeamsAdapter.welcome``). Someone who already has perfbot (installed by policy
before they were in the roster, say) is not announced again, so perfbot asks Graph for its
chat with them and reaches them there. Each answer is recorded, so nobody is asked for again
within a week and HR sees why someone is still out of reach.

No botbuilder here: plain HTTPS with aiohttp, so the fake Graph in the tests speaks the
same wire format as the real one.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import quote

import aiohttp

from store.clock import Clock, SystemClock
from store.db import Database
from store.models import Via
from store.queries import teams_install_due, teams_service_url
from store.services import INSTALL_OUTCOMES, link_chat_identity, record_teams_install

logger = logging.getLogger(__name__)

REACH_JOB = "perfbot.teams_reach"
GRAPH_URL = "https://graph.microsoft.com/v1.0"
LOGIN_URL = "https://login.microsoftonline.com"
RETRY_AFTER = timedelta(days=7)  # someone Graph could not install for is asked again after this
PER_RUN = 200  # installs asked for in one run (Graph throttles an app that asks too fast)


class GraphError(Exception):
    def __init__(self, status: int, retry_after: float = 0.0) -> None:
        super().__init__(f"Microsoft Graph answered {status}")
        self.status, self.retry_after = status, retry_after


@dataclass(frozen=True)
class Chat:
    user_id: str  # their Entra object id
    chat_id: str  # perfbot's personal chat with them


@dataclass
class ReachReport:
    outcomes: Counter[str]
    stopped: str | None = None  # why the run ended early (throttled, no permission)


class GraphInstaller:
    def __init__(
        self,
        db: Database,
        *,
        app_id: str,
        app_password: str,
        tenant_id: str,
        graph_url: str | None = None,
        login_url: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.db, self.clock = db, clock or SystemClock()
        self.app_id, self.app_password, self.tenant_id = app_id, app_password, tenant_id
        self.graph_url = (graph_url or GRAPH_URL).rstrip("/")
        self.login_url = (login_url or LOGIN_URL).rstrip("/")
        self._token: tuple[str, float] | None = None  # (token, monotonic expiry)
        self._catalog_id: str | None = None

    async def run_once(self) -> ReachReport:
        """Ask Graph to install perfbot for everyone out of reach and not asked this week."""
        now = self.clock.now()
        due = await self.db.call(lambda s: teams_install_due(s, now - RETRY_AFTER))
        report = ReachReport(Counter())
        if not due:
            return report
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            try:
                catalog_id = await self._catalog(http)
            except GraphError as error:
                report.stopped = f"the app catalogue could not be read ({error.status})"
                logger.warning("teams reach: %s", report.stopped)
                return report
            if catalog_id is None:
                report.stopped = "perfbot is not in the organisation's Teams app catalogue"
                logger.warning("teams reach: %s", report.stopped)
                return report
            for person_id, email in due[:PER_RUN]:
                try:
                    outcome = await self._install(http, email, catalog_id)
                except GraphError as error:
                    if error.status == 429:
                        report.stopped = "Microsoft Graph asked perfbot to slow down"
                        break
                    outcome = "failed"
                except (aiohttp.ClientError, TimeoutError):
                    report.stopped = "Microsoft Graph could not be reached"
                    break
                if outcome == "already":
                    chat = await self._existing_chat(http, email)
                    if chat is not None and await self._link(person_id, chat):
                        outcome = "linked"
                report.outcomes[outcome] += 1
                await self.db.call(
                    partial(
                        record_teams_install,
                        person_id=person_id,
                        outcome=outcome,
                        now=self.clock.now(),
                    ),
                    write=True,
                )
                if outcome == "refused":  # the same for everyone until an admin grants it
                    report.stopped = INSTALL_OUTCOMES["refused"]
                    break
        logger.info(
            "teams reach: %s%s",
            ", ".join(f"{n} {k}" for k, n in sorted(report.outcomes.items())) or "nothing asked",
            f" (stopped: {report.stopped})" if report.stopped else "",
        )
        return report

    async def _install(self, http: aiohttp.ClientSession, email: str, catalog_id: str) -> str:
        body = {"teamsApp@odata.bind": f"{self.graph_url}/appCatalogs/teamsApps/{catalog_id}"}
        user = f"/users/{quote(email, safe='@')}"
        status, _ = await self._graph(http, "POST", f"{user}/teamwork/installedApps", json=body)
        return {201: "installed", 200: "installed", 409: "already", 404: "no_user"}.get(
            status, "refused" if status == 403 else "failed"
        )

    async def _existing_chat(self, http: aiohttp.ClientSession, email: str) -> Chat | None:
        """perfbot is already in this person's Teams (installed by policy, say, before they were
        in the roster), so Teams will not announce it again: find its chat with them."""
        user = f"/users/{quote(email, safe='@')}"
        status, found = await self._graph(http, "GET", user, params={"$select": "id"})
        if status != 200 or not found.get("id"):
            return None
        status, apps = await self._graph(
            http, "GET", f"{user}/teamwork/installedApps",
            params={"$expand": "teamsApp", "$filter": f"teamsApp/externalId eq '{self.app_id}'"},
        )  # fmt: skip
        installs = apps.get("value") or []
        if status != 200 or not installs:
            return None
        install_id = quote(str(installs[0]["id"]), safe="")
        status, chat = await self._graph(
            http, "GET", f"{user}/teamwork/installedApps/{install_id}/chat"
        )
        if status != 200 or not chat.get("id"):
            return None
        return Chat(user_id=str(found["id"]), chat_id=str(chat["id"]))

    async def _link(self, person_id: int, chat: Chat) -> bool:
        """Keep where to reach them, as installing perfbot in Teams would have: their Entra id
        and the chat, through the Bot Connector address Teams uses for this tenant."""
        tenant = self.tenant_id
        service_url = await self.db.call(lambda s: teams_service_url(s, tenant))
        if service_url is None:  # nobody here has used perfbot in Teams yet: wait for them
            return False
        reference = {
            "channelId": "msteams",
            "serviceUrl": service_url,
            "bot": {"id": f"28:{self.app_id}"},
            "user": {"aadObjectId": chat.user_id},
            "conversation": {"id": chat.chat_id, "conversationType": "personal",
                             "tenantId": tenant},
        }  # fmt: skip
        await self.db.call(
            partial(
                link_chat_identity, person_id=person_id, platform="teams",
                external_id=chat.user_id, workspace_id=tenant, conversation_ref=reference,
                now=self.clock.now(), via=Via.SCHEDULER,
            ),
            write=True,
        )  # fmt: skip
        return True

    async def _catalog(self, http: aiohttp.ClientSession) -> str | None:
        """perfbot's id in the organisation's app catalogue (its manifest id is the app id)."""
        if self._catalog_id is None:
            status, found = await self._graph(
                http, "GET", "/appCatalogs/teamsApps",
                params={"$filter": f"externalId eq '{self.app_id}'"},
            )  # fmt: skip
            if status != 200:
                raise GraphError(status)
            apps = found.get("value") or []
            self._catalog_id = str(apps[0]["id"]) if apps else None
        return self._catalog_id

    async def _graph(
        self, http: aiohttp.ClientSession, method: str, path: str, **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        """One Graph request; the status for the caller to read, 429 as ``GraphError``."""
        headers = {"Authorization": f"Bearer {await self._access_token(http)}"}
        async with http.request(method, self.graph_url + path, headers=headers, **kwargs) as r:
            if r.status == 429:
                raise GraphError(429, float(r.headers.get("Retry-After", "60") or 60))
            if r.status == 401:
                self._token = None  # expired early: the next request fetches another
            found = await r.json(content_type=None) if r.content_length != 0 else {}
            return r.status, found if isinstance(found, dict) else {}

    async def _access_token(self, http: aiohttp.ClientSession) -> str:
        """An app-only token for Graph, kept until a minute before it expires."""
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        url = f"{self.login_url}/{self.tenant_id}/oauth2/v2.0/token"
        form = {
            "client_id": self.app_id,
            "client_secret": self.app_password,
            "scope": "https://graph.microsoft.com/.default",
            "grant_type": "client_credentials",
        }
        async with http.post(url, data=form) as answer:
            if answer.status != 200:
                raise GraphError(answer.status)
            token = await answer.json(content_type=None)
        expires = float(token.get("expires_in", 3600))
        self._token = (str(token["access_token"]), time.monotonic() + max(expires - 60, 0))
        return self._token[0]
