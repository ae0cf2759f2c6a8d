"""The Slack app: an async Bolt app behind perfbot's aiohttp server (POST /slack/events), or on
Socket Mode. Handlers only translate: Slack payload in, a neutral flow, Block Kit out.

Ack first: Slack wants an answer within 3 seconds, so handlers ack, then do the slow work;
store calls follow ``Database.call``'s policy, so the event loop never waits on the database.
Buttons run through the shared action table (``bot/flows/actions.py``). Every write goes
through a store service, which re-checks who may do it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from functools import partial
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.exports import workbook_file
from bot.flows import evidence, home
from bot.flows.actions import (
    ACTIONS,
    Post,
    Replace,
    SendWorkbook,
    Show,
    Tell,
    unknown_button,
)
from bot.flows.commands import SUBMITTERS, command_button, command_openers, submit_form
from bot.flows.help import NOT_IN_ROSTER, help_message, unknown_command
from bot.flows.model import (
    Context,
    Form,
    FormErrors,
    FormSealer,
    Message,
    StateError,
    sealed_state,
)
from bot.slack import inbound
from bot.slack.messenger import SLACK_API_URL
from bot.slack.render import (
    fallback_text,
    home_view,
    message_blocks,
    message_modal,
    modal,
    parse_values,
)
from store import queries
from store.clock import Clock, SystemClock
from store.config import DepartmentConfig
from store.db import Database
from store.errors import PerfbotError
from store.models import Via
from store.services import (
    claim_idempotency_key,
    link_by_email,
    linked_person,
    record_award_copy,
)

logger = logging.getLogger(__name__)


class _NoPayloads(logging.Filter):
    """Bolt writes request bodies into some log lines - every badly signed request at INFO,
    an unhandled one at WARNING - so anyone could fill the disk, and genuine payloads (names,
    rating notes) would be logged after a secret rotation. Keep the words before the payload;
    drop the payload."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "(" in message:
            record.msg, record.args = message.split("(", 1)[0].rstrip()[:200], None
        return True


def _bolt_logger() -> logging.Logger:
    """The logger Bolt copies onto every logger it makes (level and filters)."""
    logger = logging.getLogger("bot.slack.bolt")
    logger.setLevel(logging.INFO)
    if not logger.filters:
        logger.addFilter(_NoPayloads())
    return logger


class SlackAdapter:
    def __init__(
        self,
        db: Database,
        config: DepartmentConfig,
        *,
        token: str,
        signing_secret: str,
        api_url: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.db, self.config = db, config
        self.clock = clock or SystemClock()
        # Interactive calls (views.open, chat.update) retry 429s and dropped connections here;
        # outbox nudges have their own retry policy (bot/slack/channel.py).
        self.client = AsyncWebClient(
            token=token,
            base_url=api_url or SLACK_API_URL,
            retry_handlers=[
                AsyncRateLimitErrorRetryHandler(2),
                AsyncConnectionErrorRetryHandler(2),
            ],
        )
        self.app = AsyncApp(
            client=self.client,
            signing_secret=signing_secret,
            raise_error_for_unhandled_request=False,
            logger=_bolt_logger(),
        )
        self.sealer = FormSealer(signing_secret, salt="perfbot.slack.form")
        self.verifier = SignatureVerifier(signing_secret) if signing_secret else None
        self._people: dict[str, int] = {}  # Slack user id -> person id (also kept in the store)
        self._running: set[asyncio.Task[None]] = set()  # handlers still at work after their ack
        self._register()

    # --- plumbing ---------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.Response:
        """aiohttp route for POST /slack/events: convert, dispatch, convert back. A request
        Slack could not have sent gets 400 here, never a 500 and a traceback."""
        raw = await request.read()
        if not inbound.signed(self.verifier, request.headers, raw):
            logger.info("slack request refused: not signed by Slack, or too old")
            return web.json_response({"error": "invalid request"}, status=401)
        body = inbound.parse(request.headers, raw)
        if isinstance(body, str):
            logger.info("slack request refused: %s", body)
            return web.Response(status=400, text="malformed Slack request")
        view = body.get("view") or {}
        if body.get("type") == "view_submission" and view.get("callback_id", "").startswith(
            "perf:"
        ):
            return await self._answer_submission(body, view)
        # Bolt takes a body already parsed only in its Socket Mode form, which also skips its
        # own signature check - made above.
        bolt_request = AsyncBoltRequest(
            body=body,
            query=request.query_string,
            headers=dict(request.headers),
            mode="socket_mode",
        )
        return await to_aiohttp_response(await self.app.async_dispatch(bolt_request))

    async def _answer_submission(self, body: dict[str, Any], view: dict[str, Any]) -> web.Response:
        """A submitted form, answered without Bolt's dispatcher: Bolt runs the handler as a
        task and looks every 10 ms for its ack, which cost a chat answer about a millisecond
        of CPU and up to 10 ms of waiting. Here the answer goes back the moment the handler
        acks; what it does after the ack (editing the message a form came from) carries on.
        Socket Mode still comes through Bolt, to the same handler."""
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

        async def ack(**response: Any) -> None:
            if not answer.done():
                answer.set_result({k: v for k, v in response.items() if v is not None})

        task = asyncio.create_task(self.on_submit(ack, body, view))
        self._running.add(task)
        task.add_done_callback(self._finished)
        await asyncio.wait((answer, task), return_when=asyncio.FIRST_COMPLETED)
        if not answer.done():  # the handler failed before answering (logged as it finished)
            return web.Response(status=500)
        return web.json_response(answer.result()) if answer.result() else web.Response()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a form's handler failed", exc_info=task.exception())

    def context(self, person_id: int) -> Context:
        return Context(person_id=person_id, via=Via.SLACK, now=self.clock.now())

    async def person_for(self, user_id: str, team_id: str | None) -> int | None:
        """The roster person behind a Slack user, matched by email once and remembered."""
        if user_id in self._people:
            return self._people[user_id]
        person_id = await self.db.call(lambda s: linked_person(s, "slack", user_id))
        if person_id is None:
            try:
                info = await self.client.users_info(user=user_id)
            except SlackApiError:
                logger.warning("users.info failed user=%s", user_id)
                return None
            email = ((info.get("user") or {}).get("profile") or {}).get("email")
            if not email:
                return None
            person_id = await self.db.call(
                partial(
                    link_by_email,
                    platform="slack",
                    external_id=user_id,
                    email=email,
                    workspace_id=team_id,
                    now=self.clock.now(),
                    via=Via.SLACK,
                ),
                write=True,
            )
        if person_id is not None:
            self._people[user_id] = person_id
        return person_id

    def _seal(self, form: Form) -> dict[str, Any]:
        return modal(form, self.sealer.seal(sealed_state(form)))

    async def show(self, result: Form | Message, *, trigger_id: str, respond: Any) -> None:
        """A form opens as a modal; a message is answered to the user only."""
        if isinstance(result, Form):
            await self.client.views_open(trigger_id=trigger_id, view=self._seal(result))
        else:
            await respond(
                text=fallback_text(result), blocks=message_blocks(result), response_type="ephemeral"
            )

    async def tell(self, channel: str, user: str, text: str) -> None:
        """An ephemeral note to the person who clicked (e.g. "already decided")."""
        try:
            await self.client.chat_postEphemeral(channel=channel or user, user=user, text=text)
        except SlackApiError:
            logger.warning("could not post an ephemeral note user=%s", user)

    # --- handlers -----------------------------------------------------------------------------
    def _register(self) -> None:
        app = self.app
        app.middleware(self._deduplicate_events)
        app.command("/perf")(self.on_command)
        app.view(re.compile(r"^perf:"))(self.on_submit)
        app.action(re.compile(r".+"))(self.on_action)
        app.shortcut("save_as_evidence")(self.on_save_as_evidence)
        app.event("app_home_opened")(self.on_home_opened)

    async def _deduplicate_events(self, body: dict[str, Any], next: Any) -> Any:  # noqa: A002
        """Slack retries an event it thinks we missed (X-Slack-Retry-Num); do each once."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            new = await self.db.call(
                lambda s: claim_idempotency_key(s, key=f"slack:{event_id}", now=self.clock.now()),
                write=True,
            )
            if not new:
                return BoltResponse(status=200, body="")
        return await next()

    async def on_command(self, ack: Any, body: dict[str, Any], respond: Any) -> None:
        await ack()
        words = (body.get("text") or "").split()
        verb, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if verb in ("help", "?"):
            await respond(blocks=message_blocks(help_message()), text="perfbot help")
            return
        person_id = await self.person_for(body["user_id"], body.get("team_id"))
        if person_id is None:
            await respond(text=NOT_IN_ROSTER.text)
            return
        if pressed := command_button(verb, args):  # e.g. export: "Get the workbook"
            await self.press(
                *pressed,
                person_id,
                user=body["user_id"],
                trigger_id=body["trigger_id"],
                respond=respond,
            )
            return
        openers = command_openers(self.context(person_id), self.config, args)
        if verb not in openers:
            message = unknown_command(verb)
            await respond(blocks=message_blocks(message), text=fallback_text(message))
            return
        result = await self.db.call(openers[verb])
        await self.show(result, trigger_id=body["trigger_id"], respond=respond)

    async def on_submit(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = parse_values(view.get("state", {}))
        first_input = next(iter(view.get("state", {}).get("values", {})), None)
        try:
            state = self.sealer.unseal(view.get("private_metadata", ""))
            flow = state.pop("flow")
            if f"perf:{flow}" != view.get("callback_id") or flow not in SUBMITTERS:
                raise StateError("This form could not be checked. Please start again.")
        except StateError as error:
            if first_input:
                await ack(response_action="errors", errors={first_input: error.message})
            else:
                await ack(response_action="update", view=message_modal(Message(error.message)))
            return
        person_id = await self.person_for(body["user"]["id"], (body.get("team") or {}).get("id"))
        if person_id is None:
            await ack(response_action="update", view=message_modal(NOT_IN_ROSTER))
            return
        ctx = self.context(person_id)
        try:
            result = await self.db.call(
                lambda s: submit_form(s, flow, ctx, self.config, state, values), write=True
            )
        except FormErrors as errors:
            await ack(response_action="errors", errors=errors.errors)
            return
        except PerfbotError as error:  # not tied to a field (e.g. permission)
            await ack(response_action="update", view=message_modal(Message(error.message)))
            return
        except Exception:
            logger.exception("flow %s failed user=%s", flow, body["user"]["id"])
            await ack(
                response_action="update",
                view=message_modal(
                    Message("Something went wrong and nothing was saved. Please try again.")
                ),
            )
            return
        if isinstance(result, Form):
            # A step (a review before saving) is pushed: Back returns to the form, answers kept.
            action = "push" if result.back else "update"
            await ack(response_action=action, view=self._seal(result))
            return
        await ack(response_action="update", view=message_modal(result))
        root = view.get("root_view_id")
        if view.get("previous_view_id") and root and root != view.get("id"):
            # Saved from a pushed step: the form underneath says so too, so Back can't resubmit.
            await self.client.views_update(view_id=root, view=message_modal(result))
        reply_to = state.get("reply_to") or {}
        if reply_to.get("channel") and reply_to.get("ts"):  # a rejected award's DG message
            await self.client.chat_update(
                channel=reply_to["channel"],
                ts=reply_to["ts"],
                text=fallback_text(result),
                blocks=message_blocks(result),
            )

    async def on_action(
        self, ack: Any, body: dict[str, Any], action: dict[str, Any], respond: Any
    ) -> None:
        await ack()
        user = body["user"]["id"]
        person_id = await self.person_for(user, (body.get("team") or {}).get("id"))
        if person_id is None:
            await respond(
                text=NOT_IN_ROSTER.text, response_type="ephemeral", replace_original=False
            )
            return
        origin = {
            "channel": (body.get("channel") or {}).get("id", ""),
            "ts": (body.get("message") or {}).get("ts", ""),
        }
        await self.press(
            action["action_id"],
            str(action.get("value") or ""),
            person_id,
            user=user,
            trigger_id=body["trigger_id"],
            respond=partial(respond, replace_original=False),
            origin=origin,
        )

    async def press(
        self,
        name: str,
        value: str,
        person_id: int,
        *,
        user: str,
        trigger_id: str,
        respond: Any,
        origin: dict[str, str] | None = None,
    ) -> None:
        """A button (or a typed command that acts like one): run it through the shared action
        table, then show its result the Slack way."""
        action = ACTIONS.get(name)
        if action is None:
            await self.note(user, unknown_button(name).message.text, origin, respond)
            return
        ctx = self.context(person_id)
        try:
            result = await self.db.call(
                lambda s: action.run(s, ctx, self.config, value, origin or {}),
                write=action.writes,
            )
        except PerfbotError as error:
            # Already decided (Conflict), not theirs (PermissionDenied), the yearly cap
            # reached since the nomination (F15), a bad value: say so, change nothing.
            await self.note(user, error.message, origin, respond)
            return
        match result:
            case Show(shown):
                await self.show(shown, trigger_id=trigger_id, respond=respond)
            case Tell(message):
                await self.note(user, message.text, origin, respond)
            case Replace(message):
                await self.replace(origin or {}, message)
            case Post(messages, empty, _title, awards):
                await self.post_to_dm(user, messages, empty, person_id=person_id, awards=awards)
            case SendWorkbook(year, label):
                await self.send_workbook(user, person_id, year, label, respond)

    async def note(self, user: str, text: str, origin: dict[str, str] | None, respond: Any) -> None:
        """A private note to one person: beside the pressed message, or as the command's
        reply."""
        if origin and origin.get("channel"):
            await self.tell(origin["channel"], user, text)
        else:
            await respond(text=text, response_type="ephemeral")

    async def replace(self, origin: dict[str, str], message: Message) -> None:
        """The pressed message updated in place for everyone: its buttons gone."""
        if origin.get("channel") and origin.get("ts"):
            await self.client.chat_update(
                channel=origin["channel"],
                ts=origin["ts"],
                text=fallback_text(message),
                blocks=message_blocks(message),
            )

    async def post_to_dm(
        self,
        user: str,
        messages: tuple[Message, ...],
        empty: str,
        *,
        person_id: int | None = None,
        awards: tuple[int, ...] = (),
    ) -> None:
        """Messages into the person's direct chat with perfbot - never into the channel the
        button was pressed in, which others may read. A nomination posted to decide is kept
        with where it went, so it is edited once decided."""
        channel = (await self.client.conversations_open(users=user))["channel"]["id"]
        for n, message in enumerate(messages or (Message(empty),)):
            posted = await self.client.chat_postMessage(
                channel=channel, text=fallback_text(message), blocks=message_blocks(message)
            )
            if person_id is not None and n < len(awards) and posted.get("ts"):
                await self.db.call(
                    partial(
                        record_award_copy, recipient_id=person_id, award_id=awards[n],
                        message_ref=f"{channel}:{posted['ts']}", now=self.clock.now(),
                    ),
                    write=True,
                )  # fmt: skip

    async def send_workbook(
        self, user_id: str, person_id: int, year: int, label: str, respond: Any
    ) -> None:
        """Build the HR workbook in a worker thread (it takes seconds) and upload it to the
        person's direct messages. The action already checked they are HR; the export checks
        again, and writes nothing for anyone else."""
        await respond(text=f"Preparing the HR workbook for {label}; it will arrive here shortly.")
        try:
            name, data, summary = await workbook_file(
                self.db, self.config, person_id=person_id, via=Via.SLACK,
                now=self.clock.now(), year=year, label=label,
            )  # fmt: skip
            channel = (await self.client.conversations_open(users=user_id))["channel"]["id"]
            await self.client.files_upload_v2(
                channel=channel,
                content=data,
                filename=name,
                title=f"HR workbook {label}",
                initial_comment=summary,
            )
        except PerfbotError as error:
            await respond(text=error.message)
        except (SlackApiError, OSError):
            logger.exception("workbook upload failed user=%s", user_id)
            await respond(text="The workbook could not be sent. Please try again.")
        except Exception:  # whatever failed, the person who asked hears so, in words
            logger.exception("workbook export failed user=%s", user_id)
            await respond(
                text=f"The HR workbook for {label} could not be made, so nothing was "
                "sent. The failure is in perfbot's log for whoever runs it."
            )

    async def on_save_as_evidence(self, ack: Any, body: dict[str, Any]) -> None:
        await ack()
        user = body["user"]["id"]
        message, channel = body.get("message") or {}, (body.get("channel") or {}).get("id", "")
        person_id = await self.person_for(user, (body.get("team") or {}).get("id"))
        if person_id is None:
            await self.tell(channel, user, NOT_IN_ROSTER.text)
            return
        link = None
        try:
            answer = await self.client.chat_getPermalink(channel=channel, message_ts=message["ts"])
            link = answer.get("permalink")
        except SlackApiError:
            logger.info("no permalink channel=%s", channel)
        ctx = self.context(person_id)
        author = await self.author_of(message, (body.get("team") or {}).get("id"))
        try:
            posted = datetime.fromtimestamp(float(message.get("ts", "")), UTC)
        except ValueError:
            posted = None
        form = await self.db.call(
            lambda s: evidence.open_form(
                s,
                ctx,
                self.config,
                text=message.get("text", ""),
                link=link,
                source_ref=f"slack:{channel}:{message.get('ts', '')}",
                source_author=author,
                source_posted_at=posted,
            ),
        )
        await self.client.views_open(trigger_id=body["trigger_id"], view=self._seal(form))

    async def author_of(self, message: dict[str, Any], team_id: str | None) -> str | None:
        """Who wrote a saved message: their roster name, else the name Slack shows."""
        user = message.get("user")
        if not user:
            return message.get("username") or None  # an app's message
        person_id = await self.person_for(user, team_id)
        if person_id is not None:
            return await self.db.call(lambda s: queries.name_of(s, person_id, "") or None)
        try:
            info = (await self.client.users_info(user=user)).get("user") or {}
        except SlackApiError:
            return None
        return (info.get("profile") or {}).get("real_name") or info.get("real_name") or None

    async def on_home_opened(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        person_id = await self.person_for(event["user"], body.get("team_id"))
        if person_id is None:
            message = NOT_IN_ROSTER
        else:
            ctx = self.context(person_id)
            message = await self.db.call(lambda s: home.home(s, ctx, self.config))
        await self.client.views_publish(user_id=event["user"], view=home_view(message))
