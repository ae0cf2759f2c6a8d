"""Fakes shared by the tests: a clock the test moves, and helpers to give people chat ids."""

from __future__ import annotations

import asyncio
import json
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Self

from aiohttp import web
from sqlmodel import select

from store.db import Database
from store.models import Person
from store.services import link_chat_identity


class FakeClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current

    def set(self, now: datetime) -> None:
        self.current = now


class RunningClock:
    """Real time passing, from a chosen starting moment (for tests that really wait)."""

    def __init__(self, start: datetime) -> None:
        self.start, self.t0 = start, time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def give_everyone_slack_ids(
    db: Database, now: datetime, *, workspace: str = "T1", except_ids: tuple[int, ...] = ()
) -> dict[int, str]:
    """Link every person to a Slack user U<id> (as the adapter does on first contact)."""
    with db.write() as session:
        ids = [p for p in session.exec(select(Person.id)).all() if p not in except_ids]
        for person_id in ids:
            link_chat_identity(
                session,
                person_id=person_id,
                platform="slack",
                external_id=f"U{person_id:06d}",
                workspace_id=workspace,
                now=now,
            )
    return {pid: f"U{pid:06d}" for pid in ids}


# --- a fake Slack Web API: real HTTP on loopback ----------------------------------------------


@dataclass
class Scripted:
    """One scripted answer: an HTTP status, headers, a JSON body, and a delay before it."""

    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class LoopbackServer:
    """A real HTTP server on 127.0.0.1 in its own thread and event loop; subclasses add their
    routes in ``routes``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.runner: web.AppRunner | None = None
        self.port = 0

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            app = web.Application()
            self.routes(app)
            self.runner = web.AppRunner(app, access_log=None)
            self.loop.run_until_complete(self.runner.setup())
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            self.loop.run_until_complete(site.start())
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self.runner:
                await self.runner.cleanup()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class FakeSlack(LoopbackServer):
    """Answers like Slack's Web API (``POST /api/<method>``), records every call, can be told
    to fail (429 with Retry-After, 500, slow answers) and can enforce Slack's rate limits."""

    TOKEN = "xoxb-test-token"

    def __init__(
        self,
        *,
        per_channel_per_second: float | None = None,
        workspace_per_second: float | None = None,
        workspace_burst: int = 1,
        post_delay: float = 0.0,
    ) -> None:
        self.post_delay = post_delay  # every chat.postMessage takes this long
        self.users: dict[str, str] = {}  # Slack user id -> email, for users.info
        self.responses: list[dict[str, Any]] = []  # what was posted to response_url
        self.calls: list[dict[str, Any]] = []
        self.script: dict[str, list[Scripted]] = {}
        self.per_channel = per_channel_per_second
        self.ws_rate, self.ws_burst = workspace_per_second, workspace_burst
        self._channel_last: dict[str, float] = {}
        self._ws_tat = 0.0
        self.rejected_for_rate = 0
        self.rejected_by: Counter[str] = Counter()  # which limit refused (channel, workspace)
        self._lock = threading.Lock()
        super().__init__()
        self._ts = 0
        self.uploads: dict[str, bytes] = {}  # file id -> bytes sent to its upload URL

    # -- control ----------------------------------------------------------------------------
    def fail_next(self, method: str, *answers: Scripted) -> None:
        with self._lock:
            self.script.setdefault(method, []).extend(answers)

    def posted(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                c["args"]
                for c in self.calls
                if c["method"] == "chat.postMessage" and c["status"] == 200
            ]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/api/{method}", self._handle)
        app.router.add_get("/api/{method}", self._handle)
        app.router.add_get("/_stats", self._stats)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)

    # -- serving ------------------------------------------------------------------------------
    def _rate_check(self, channel: str, now: float) -> float | None:
        """Seconds to wait if this message breaks a limit, else None (and it is counted)."""
        wait = 0.0
        if self.per_channel:
            last = self._channel_last.get(channel)
            gap = 1.0 / self.per_channel
            if last is not None and now - last < gap * 0.98:
                wait = max(wait, gap - (now - last))
                self.rejected_by["channel"] += 1
        if self.ws_rate:
            interval = 1.0 / self.ws_rate
            tolerance = (self.ws_burst - 1) * interval
            tat = max(self._ws_tat, now)
            if tat - tolerance > now + interval * 0.05:
                wait = max(wait, tat - tolerance - now)
                self.rejected_by["workspace"] += 1
        if wait > 0:
            return wait
        if self.per_channel:
            self._channel_last[channel] = now
        if self.ws_rate:
            self._ws_tat = max(self._ws_tat, now) + 1.0 / self.ws_rate
        return None

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.headers.get("Authorization") != f"Bearer {self.TOKEN}":
            return web.json_response({"ok": False, "error": "invalid_auth"})
        raw = await request.read()
        if request.method == "GET":
            args = dict(request.query)
        elif request.content_type == "application/json":
            args = json.loads(raw or b"{}")
        else:
            args = dict((await request.post()).items()) if raw else {}
        args = {**dict(request.query), **args}  # some methods send their arguments in the URL
        with self._lock:
            scripted = self.script.get(method, [])
            answer = scripted.pop(0) if scripted else None
        if answer and answer.delay:
            await asyncio.sleep(answer.delay)
        elif method == "chat.postMessage" and self.post_delay:
            await asyncio.sleep(self.post_delay)
        status, body, headers = 200, {"ok": True}, {}
        if answer is not None and answer.status != 200:
            status, headers = answer.status, answer.headers
            body = answer.body or {
                "ok": False,
                "error": "ratelimited" if status == 429 else "internal_error",
            }
        elif method == "chat.postMessage":
            with self._lock:
                wait = self._rate_check(str(args.get("channel")), time.monotonic())
                if wait is not None:
                    self.rejected_for_rate += 1
                    status, headers = 429, {"Retry-After": str(max(1, math.ceil(wait)))}
                    body = {"ok": False, "error": "ratelimited"}
                else:
                    self._ts += 1
                    body = {"ok": True, "channel": args.get("channel"), "ts": f"{self._ts}.0001"}
        else:
            body = self._answer(method, args)
        with self._lock:
            self.calls.append(
                {"method": method, "args": args, "status": status, "at": time.monotonic()}
            )
        return web.json_response(body, status=status, headers=headers)

    async def _stats(self, _request: web.Request) -> web.Response:
        """For a test in another process: what was posted, and how many 429s were given."""
        with self._lock:
            posted = [
                c["args"].get("metadata", {}).get("event_payload", {}).get("outbox_id")
                for c in self.calls
                if c["method"] == "chat.postMessage" and c["status"] == 200
            ]
            return web.json_response(
                {
                    "posted": posted,
                    "rejected_for_rate": self.rejected_for_rate,
                    "rejected_by": dict(self.rejected_by),
                    "calls": len(self.calls),
                }
            )

    async def _response_url(self, request: web.Request) -> web.Response:
        with self._lock:
            self.responses.append(await request.json())
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2 of files_upload_v2: the bytes go to the URL that getUploadURLExternal gave."""
        data = await request.read()
        with self._lock:
            self.uploads[request.match_info["file_id"]] = data
        return web.Response(text=f"OK - {len(data)}")

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c["args"] for c in self.calls if c["method"] == method]

    async def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0
    ) -> list[dict[str, Any]]:
        """Wait (in a test's event loop) until ``method`` has been called ``count`` times."""
        deadline = time.monotonic() + timeout
        while len(self.calls_to(method)) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return self.calls_to(method)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args.get("users", "X"))[1:]}}
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "team_id": "T1", "bot_id": "BBOT"}
        if method == "users.info":
            email = self.users.get(str(args.get("user")))
            if email is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": args.get("user"), "profile": {"email": email}}}
        if method == "chat.getPermalink":
            return {
                "ok": True,
                "permalink": f"https://example.slack.com/archives/"
                f"{args.get('channel')}/p{str(args.get('message_ts')).replace('.', '')}",
            }
        if method == "files.getUploadURLExternal":
            file_id = f"F{len(self.uploads) + len(self.calls):06d}"
            return {
                "ok": True,
                "file_id": file_id,
                "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}",
            }
        if method == "files.completeUploadExternal":
            files = (
                json.loads(args["files"]) if isinstance(args.get("files"), str) else args["files"]
            )
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "views.open":
            return {"ok": True, "view": {"id": "V1"}}
        return {"ok": True}


def _serve_forever() -> None:
    """python -m tests.fakes PER_CHANNEL WORKSPACE BURST: a fake Slack in its own process;
    prints its port, then serves until killed."""
    import gc
    import sys

    per_channel, workspace, burst = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
    # Slack counts a message against its limits when it arrives; this fake counts it when its
    # loop reads it. A collector pause here (over its growing log of calls: 129 ms in the
    # delivery benchmark) bunched a queue of arrivals into a burst no sender made, and
    # answered it with 429s. Its log holds no reference cycles to collect.
    gc.disable()
    server = FakeSlack(
        per_channel_per_second=per_channel, workspace_per_second=workspace, workspace_burst=burst
    ).start()
    sys.stdout.write(f"{server.port}\n")
    sys.stdout.flush()
    server.thread.join()


if __name__ == "__main__":
    _serve_forever()


class FakeBotConnector(LoopbackServer):
    """Answers like the Bot Framework Connector service that Teams exposes at a
    conversation's serviceUrl: replies and proactive sends (POST .../activities[/{id}]),
    updates (PUT), and member lookup (GET .../members/{id}). Records every call; can be told
    to fail the next sends with 429 (Retry-After) or 5xx."""

    def __init__(self) -> None:
        self.members: dict[str, dict[str, Any]] = {}  # Teams user id -> TeamsChannelAccount
        # Files put where a file consent card's acceptance said (OneDrive, for Teams): name ->
        # (Content-Range, bytes).
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self.calls: list[dict[str, Any]] = []
        self.script: list[Scripted] = []
        self._lock = threading.Lock()
        super().__init__()
        self._ids = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def fail_next(self, *answers: Scripted) -> None:
        with self._lock:
            self.script.extend(answers)

    def routes(self, app: web.Application) -> None:
        app.router.add_put("/upload/{name}", self._upload)
        app.router.add_post("/v3/conversations/{cid}/activities", self._send)
        app.router.add_post("/v3/conversations/{cid}/activities/{aid}", self._send)
        app.router.add_put("/v3/conversations/{cid}/activities/{aid}", self._update)
        app.router.add_get("/v3/conversations/{cid}/members/{mid}", self._member)

    def sent(self) -> list[dict[str, Any]]:
        with self._lock:
            return [c["activity"] for c in self.calls if c["kind"] == "send" and c["status"] < 300]

    def cards_sent(self) -> list[dict[str, Any]]:
        return [
            a["attachments"][0]["content"]
            for a in self.sent()
            if a.get("attachments")
            and a["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
        ]

    def updates(self) -> list[dict[str, Any]]:
        with self._lock:
            return [c for c in self.calls if c["kind"] == "update"]

    async def _send(self, request: web.Request) -> web.Response:
        activity = await request.json()
        with self._lock:
            answer = self.script.pop(0) if self.script else None
            status = answer.status if answer else 200
            self.calls.append(
                {
                    "kind": "send",
                    "conversation": request.match_info["cid"],
                    "reply_to": request.match_info.get("aid"),
                    "activity": activity,
                    "status": status,
                    "auth": request.headers.get("Authorization"),
                }
            )
            self._ids += 1
            new_id = f"act-{self._ids}"
        if answer and answer.status >= 300:
            return web.json_response(
                answer.body
                or {"error": {"code": "Throttled" if status == 429 else "ServiceError"}},
                status=status,
                headers=answer.headers,
            )
        return web.json_response({"id": new_id})

    async def _update(self, request: web.Request) -> web.Response:
        activity = await request.json()
        with self._lock:
            self.calls.append(
                {
                    "kind": "update",
                    "conversation": request.match_info["cid"],
                    "id": request.match_info["aid"],
                    "activity": activity,
                    "status": 200,
                }
            )
        return web.json_response({"id": request.match_info["aid"]})

    def upload_info(self, name: str) -> dict[str, str]:
        """What Teams sends when a file consent card is accepted: where to put the file."""
        return {
            "name": name,
            "uploadUrl": f"{self.url}upload/{name}",
            "contentUrl": f"https://contoso.sharepoint.example/personal/{name}",
            "uniqueId": "1150D938-8870-4044-9F2C-5BBDEBA70C9D",
            "fileType": name.rpartition(".")[2],
        }

    async def _upload(self, request: web.Request) -> web.Response:
        """OneDrive's upload session: the whole file in one PUT, its range declared."""
        data = await request.read()
        declared = request.headers.get("Content-Range", "")
        if declared != f"bytes 0-{len(data) - 1}/{len(data)}":
            return web.json_response({"error": {"code": "invalidRange"}}, status=416)
        with self._lock:
            self.uploads[request.match_info["name"]] = (declared, data)
        return web.json_response({"id": "drive-item-1", "name": request.match_info["name"]},
                                 status=201)  # fmt: skip

    async def _member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["mid"])
        if member is None:
            return web.json_response(
                {"error": {"code": "MemberNotFoundInConversation"}}, status=404
            )
        return web.json_response(member)


class FakeGraph(LoopbackServer):
    """Answers like Microsoft Graph and the Microsoft identity platform for what perfbot asks:
    an app-only token (client credentials), the organisation's app catalogue filtered by the
    app's manifest id, and installing an app for a user (201; 409 when already installed;
    404 for a user the tenant does not have). Can be told to answer the next installs with
    429 or 403. Records every request."""

    CATALOG_ID = "b3a5b2f0-6a1e-4c55-9d6f-2f6a0c1d7e11"
    TOKEN = "graph-app-token"

    def __init__(self, app_id: str, secret: str, users: set[str]) -> None:
        self.app_id, self.secret, self.users = app_id, secret, {u.lower() for u in users}
        self.installed: set[str] = set()
        self.calls: list[dict[str, Any]] = []
        self.script: list[Scripted] = []
        self._lock = threading.Lock()
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, *answers: Scripted) -> None:
        with self._lock:
            self.script.extend(answers)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/login/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/v1.0/appCatalogs/teamsApps", self._catalog)
        app.router.add_post("/v1.0/users/{user}/teamwork/installedApps", self._install)
        app.router.add_get("/v1.0/users/{user}", self._user)
        app.router.add_get("/v1.0/users/{user}/teamwork/installedApps", self._installs)
        app.router.add_get("/v1.0/users/{user}/teamwork/installedApps/{iid}/chat", self._chat)

    @staticmethod
    def user_id(email: str) -> str:
        """The Entra object id this fake gives the user with this email."""
        return f"aad-{email.lower()}"

    @staticmethod
    def chat_id(email: str) -> str:
        """perfbot's personal chat with this user, as Graph names it."""
        return f"19:{email.lower()}_perfbot@unq.gbl.spaces"

    async def _user(self, request: web.Request) -> web.Response:
        user = request.match_info["user"].lower()
        if not self._authorised(request) or user not in self.users:
            return web.json_response({"error": {"code": "Request_ResourceNotFound"}}, status=404)
        return web.json_response({"id": self.user_id(user)})

    async def _installs(self, request: web.Request) -> web.Response:
        user = request.match_info["user"].lower()
        wanted = request.query.get("$filter") == f"teamsApp/externalId eq '{self.app_id}'"
        if not self._authorised(request) or not wanted:
            return web.json_response({"error": {"code": "BadRequest"}}, status=400)
        found = [{"id": f"install-{user}", "teamsApp": {"externalId": self.app_id}}]
        return web.json_response({"value": found if user in self.installed else []})

    async def _chat(self, request: web.Request) -> web.Response:
        user = request.match_info["user"].lower()
        if request.match_info["iid"] != f"install-{user}" or user not in self.installed:
            return web.json_response({"error": {"code": "NotFound"}}, status=404)
        return web.json_response({"id": self.chat_id(user), "chatType": "oneOnOne"})

    def _authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.TOKEN}"

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        with self._lock:
            self.calls.append({"kind": "token", "tenant": request.match_info["tenant"], **form})
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
            "client_credentials", self.app_id, self.secret,
        ):  # fmt: skip
            return web.json_response({"error": "invalid_client"}, status=401)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "access_token": self.TOKEN}
        )

    async def _catalog(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return web.json_response({"error": {"code": "InvalidAuthenticationToken"}}, status=401)
        wanted = request.query.get("$filter", "")
        found = [
            {"id": self.CATALOG_ID, "externalId": self.app_id, "displayName": "perfbot",
             "distributionMethod": "organization"}
        ] if wanted == f"externalId eq '{self.app_id}'" else []  # fmt: skip
        return web.json_response({"value": found})

    async def _install(self, request: web.Request) -> web.Response:
        user = request.match_info["user"].lower()
        body = await request.json()
        with self._lock:
            self.calls.append({"kind": "install", "user": user, "body": body})
            scripted = self.script.pop(0) if self.script else None
        if not self._authorised(request):
            return web.json_response({"error": {"code": "InvalidAuthenticationToken"}}, status=401)
        if scripted is not None:
            return web.json_response(
                scripted.body or {"error": {"code": "Throttled"}},
                status=scripted.status, headers=scripted.headers,
            )  # fmt: skip
        bind = f"{self.url}/v1.0/appCatalogs/teamsApps/{self.CATALOG_ID}"
        if body != {"teamsApp@odata.bind": bind}:
            return web.json_response({"error": {"code": "BadRequest"}}, status=400)
        if user not in self.users:
            return web.json_response({"error": {"code": "Request_ResourceNotFound"}}, status=404)
        with self._lock:
            if user in self.installed:
                return web.json_response({"error": {"code": "Conflict"}}, status=409)
            self.installed.add(user)
        return web.Response(status=201)
