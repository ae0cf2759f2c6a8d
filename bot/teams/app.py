"""The Teams app: a botbuilder ``ActivityHandler`` on a ``CloudAdapter``, served by perfbot's
aiohttp server at ``POST /api/messages``. Every botbuilder import lives in ``bot/teams/``.

Text commands in a personal chat (``rate``, ``award``, ``evidence``, ``status``, ``help``...)
open the same neutral flows as Slack, drawn as Adaptive Cards; a card's ``Action.Execute``
arrives as an ``adaptiveCard/action`` invoke and is answered with the next card. People are
matched to the roster by email or UPN (``TeamsInfo.get_member``) and their conversation
reference is kept for proactive nudges.

Authentication: with ``MICROSOFT_APP_ID`` / ``MICROSOFT_APP_PASSWORD`` (and
``MICROSOFT_APP_TENANT_ID`` for a single-tenant bot) every activity must carry a valid Bot
Framework token. ``PERFBOT_DEV=1`` without credentials accepts unauthenticated activities,
from loopback only, like the Bot Framework Emulator.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from types import SimpleNamespace
from typing import Any

import aiohttp
import requests
from aiohttp import web
from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.integration.aiohttp import (
    CloudAdapter,
    ConfigurationBotFrameworkAuthentication,
)
from botbuilder.schema import (
    Activity,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    Attachment,
    InvokeResponse,
)
from sqlmodel import Session

from bot.exports import workbook_file
from bot.flows import evidence, home
from bot.flows.actions import (
    ACTIONS,
    Post,
    Replace,
    Result,
    SendWorkbook,
    Show,
    Tell,
    unknown_button,
)
from bot.flows.commands import BACK, SUBMITTERS, command_button, command_openers, submit_form
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
from bot.teams.cards import (
    BACK_VERB,
    CANCEL_VERB,
    FORM_VERB,
    form_card,
    form_from_data,
    message_card,
    parse_inputs,
)
from store import queries
from store.clock import Clock, SystemClock
from store.config import DepartmentConfig
from store.db import Database
from store.errors import PerfbotError
from store.models import Via
from store.services import (
    link_by_email,
    link_chat_identity,
    linked_person,
    record_award_copy,
)

logger = logging.getLogger(__name__)

CARD = "application/vnd.microsoft.card.adaptive"
FILE_CONSENT = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO = "application/vnd.microsoft.teams.card.file.info"
SAVE = "saveEvidence"  # the message extension's command (teams/manifest.json)
FILE_HELD_SECONDS = 15 * 60  # a workbook offered and not yet accepted is kept this long
MESSAGE = "application/vnd.microsoft.activity.message"  # an answer that leaves the card as it is
KEEP = "perfbot:keep"  # marks a press whose pressed card stays (its note goes under it)
LOOPBACK = {"127.0.0.1", "::1"}
_MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE)
CANCELLED = Message("Cancelled. Nothing was saved.")


def card_activity(card: dict[str, Any]) -> Activity:
    return MessageFactory.attachment(Attachment(content_type=CARD, content=card))


def bot_framework_auth(
    app_id: str | None, app_password: str | None, tenant_id: str | None
) -> ConfigurationBotFrameworkAuthentication:
    """Bot Framework authentication for this app: single-tenant when a tenant id is given.
    With no app id it is disabled (development mode only: see ``TeamsAdapter``)."""
    return ConfigurationBotFrameworkAuthentication(
        SimpleNamespace(
            APP_ID=app_id or "",
            APP_PASSWORD=app_password or "",
            APP_TYPE="SingleTenant" if tenant_id else "MultiTenant",
            APP_TENANTID=tenant_id or "",
        )
    )


AUTH_TIMEOUT_SECONDS = 5.0
AUTH_BACKOFF_SECONDS = (5.0, 300.0)  # first pause after a failure, and the longest


class AuthUnavailable(Exception):
    """The Bot Framework's signing keys could not be fetched (now, or recently)."""


class Authenticator:
    """Checks an activity's Bot Framework token without ever blocking the event loop.

    botbuilder fetches the Bot Framework's OpenID metadata and keys with a blocking
    ``requests.get`` (no timeout) inside its async code, and on a failure fetches again on
    the next request: a slow endpoint stalled every request perfbot serves. Here each check
    runs in a small pool of its own threads (so a hung fetch can't starve the database's),
    is given up after a timeout, and after a failure to reach the keys, checks pause with a
    growing back-off and answer "unavailable" at once instead of fetching again.
    """

    def __init__(self, auth: ConfigurationBotFrameworkAuthentication) -> None:
        self.auth = auth
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="teams-auth")
        self.paused_until = 0.0
        self.backoff = AUTH_BACKOFF_SECONDS[0]

    async def check(self, activity: Activity, header: str) -> Any:
        """The authenticated claims; ``AuthUnavailable`` when the keys can't be had; any other
        exception means the token is missing, malformed, forged or expired."""
        if time.monotonic() < self.paused_until:
            raise AuthUnavailable
        run = partial(asyncio.run, self.auth.authenticate_request(activity, header))
        try:
            result = await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(self.pool, run),
                AUTH_TIMEOUT_SECONDS,
            )
        except (TimeoutError, requests.RequestException) as error:
            # The keys could not be fetched (any other failure is the token's: a 401).
            self.paused_until = time.monotonic() + self.backoff
            self.backoff = min(self.backoff * 2, AUTH_BACKOFF_SECONDS[1])
            logger.warning(
                "teams authentication unavailable (%s); pausing %.0f s",
                type(error).__name__,
                self.paused_until - time.monotonic(),
            )
            raise AuthUnavailable from None
        self.backoff = AUTH_BACKOFF_SECONDS[0]
        return result


class TeamsAdapter:
    def __init__(
        self,
        db: Database,
        config: DepartmentConfig,
        *,
        app_id: str | None,
        app_password: str | None,
        tenant_id: str | None = None,
        dev: bool = False,
        clock: Clock | None = None,
    ) -> None:
        self.db, self.config = db, config
        self.clock = clock or SystemClock()
        self.app_id = app_id or ""
        self.dev = dev and not app_id
        auth = bot_framework_auth(self.app_id, app_password, tenant_id)
        self.authenticator = Authenticator(auth)
        self.adapter = CloudAdapter(auth)
        self.adapter.on_turn_error = self._on_error
        # Proactive nudges go through an adapter without that handler, so that a failed send
        # reaches the outbox (to be retried) instead of becoming an apology to the user.
        self.proactive = CloudAdapter(auth)
        self.sealer = FormSealer(app_password, salt="perfbot.teams.form")
        self.bot = _Bot(self)
        self._people: dict[str, int] = {}  # AAD object id -> person id (also in the store)
        # Workbooks offered by a file consent card: token -> (until, person id, name, bytes).
        self._files: dict[str, tuple[float, int, str, bytes]] = {}
        if self.dev:
            logger.warning(
                "TEAMS DEVELOPMENT MODE (PERFBOT_DEV=1): /api/messages accepts UNAUTHENTICATED "
                "activities from loopback only. Never run this way in production."
            )

    async def handle(self, request: web.Request) -> web.Response:
        """aiohttp route for POST /api/messages."""
        if self.dev and request.remote not in LOOPBACK:
            return web.Response(status=403, text="development mode accepts loopback only")
        if not self.app_id and not self.dev:
            return web.Response(status=401)
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.Response(status=415)
        try:
            activity = Activity().deserialize(await request.json())
        except ValueError:
            return web.Response(status=400, text="not a Bot Framework activity")
        if not activity.type:
            return web.Response(status=400, text="not a Bot Framework activity")
        # CloudAdapter.process would serialise an invoke's body a second time (botbuilder
        # 4.17 fails on the dict it already made), so the response is written here.
        try:  # a missing, forged or expired token: 401, and nothing runs
            auth = await self.authenticator.check(
                activity, request.headers.get("Authorization", "")
            )
        except AuthUnavailable:  # Teams retries; nothing runs meanwhile
            return web.Response(status=503, headers={"Retry-After": "5"})
        except Exception as error:
            logger.info("teams request refused: %s", type(error).__name__)
            return web.Response(status=401)
        invoke = await self.adapter.process_activity(auth, activity, self.bot.on_turn)
        if invoke is None:
            return web.Response(status=201)
        return web.json_response(_invoke_body(invoke.body), status=invoke.status)

    async def _on_error(self, context: TurnContext, error: Exception) -> None:
        logger.error("teams turn failed: %s", type(error).__name__, exc_info=error)
        if isinstance(error, PermissionError):
            raise error
        await context.send_activity("Something went wrong and nothing was saved. Please try again.")

    def context(self, person_id: int) -> Context:
        return Context(person_id=person_id, via=Via.TEAMS, now=self.clock.now())

    def seal(self, form: Form) -> str:
        return self.sealer.seal(sealed_state(form))

    def card(self, result: Form | Message) -> dict[str, Any]:
        return (
            form_card(result, self.seal(result))
            if isinstance(result, Form)
            else message_card(result)
        )

    async def person_for(self, turn: TurnContext) -> int | None:
        """The roster person behind this Teams user, matched by email or UPN once; their
        conversation reference is stored for proactive nudges."""
        sender = turn.activity.from_property
        key = (sender.aad_object_id or sender.id) if sender else None
        if not key:
            return None
        if key in self._people:
            return self._people[key]
        person_id = await self.db.call(lambda s: linked_person(s, "teams", key))
        reference = TurnContext.get_conversation_reference(turn.activity).serialize()
        data = turn.activity.channel_data
        tenant = (data.get("tenant") or {}).get("id") if isinstance(data, dict) else None
        conversation = reference.setdefault("conversation", {})
        conversation["tenantId"] = conversation.get("tenantId") or tenant
        # Only their personal chat with perfbot is where to nudge them: a message saved as
        # evidence from a channel or group chat arrives from that conversation instead.
        personal = conversation.get("conversationType", "personal") == "personal"

        def link(service: Callable[..., Any], **more: Any) -> Callable[[Session], Any]:
            return partial(
                service,
                platform="teams",
                external_id=key,
                # the tenant: the outbox's per-workspace rate limit is per tenant for Teams
                workspace_id=conversation["tenantId"],
                conversation_ref=reference if personal else None,
                now=self.clock.now(),
                via=Via.TEAMS,
                **more,
            )

        if person_id is None:
            try:
                member = await TeamsInfo.get_member(turn, sender.id)
            except Exception:  # the connector is down or refuses: treat as unknown for now
                logger.warning("teams get_member failed user=%s", key)
                return None
            email = (member.email or member.user_principal_name or "").lower()
            if not email:
                return None
            person_id = await self.db.call(link(link_by_email, email=email), write=True)
        else:  # known: refresh where to reach them
            await self.db.call(link(link_chat_identity, person_id=person_id), write=True)
        if person_id is not None:
            self._people[key] = person_id
        return person_id

    # --- what the bot does ---------------------------------------------------------------------
    async def welcome(self, turn: TurnContext) -> None:
        """Installed in a personal chat: remember the person (and where to nudge them), then
        their home - what needs them next - or, for someone not in the roster, what perfbot is."""
        person_id = await self.person_for(turn)
        if person_id is None:
            await turn.send_activity(card_activity(message_card(help_message(prefix=""))))
            return
        ctx = self.context(person_id)
        result = await self.db.call(lambda s: home.home(s, ctx, self.config))
        await turn.send_activity(card_activity(self.card(result)))

    async def on_message(self, turn: TurnContext) -> None:
        text = _MENTION.sub("", turn.activity.text or "").strip()
        words = text.split()
        verb, args = (words[0].lower(), words[1:]) if words else ("help", [])
        if verb in ("help", "?", "hi", "hello"):
            await turn.send_activity(card_activity(message_card(help_message(prefix=""))))
            return
        person_id = await self.person_for(turn)
        if person_id is None:
            await turn.send_activity(NOT_IN_ROSTER.text)
            return
        if pressed := command_button(verb, args):  # e.g. export: "Get the workbook"
            card = await self.press(turn, person_id, *pressed)
            await turn.send_activity(card_activity(card))
            return
        openers = command_openers(self.context(person_id), self.config, args)
        if verb not in openers:
            await turn.send_activity(card_activity(message_card(unknown_command(verb, prefix=""))))
            return
        result = await self.db.call(openers[verb])
        await turn.send_activity(card_activity(self.card(result)))

    async def on_card_action(
        self, turn: TurnContext, verb: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        """An Action.Execute: the card that replaces the one the user pressed."""
        person_id = await self.person_for(turn)
        if person_id is None:
            return message_card(NOT_IN_ROSTER)
        if verb.startswith(FORM_VERB):
            return await self._submit(
                turn, self.context(person_id), verb.removeprefix(FORM_VERB), data
            )
        if verb.startswith(BACK_VERB):
            return await self._back(self.context(person_id), verb.removeprefix(BACK_VERB), data)
        if verb.startswith(CANCEL_VERB):  # the form closes; what it was opened from is above
            return message_card(CANCELLED)
        return await self.press(turn, person_id, verb, str(data.get("value") or ""), on_card=True)

    async def press(
        self, turn: TurnContext, person_id: int, name: str, value: str, *, on_card: bool = False
    ) -> dict[str, Any]:
        """A button (or a command that acts like one) through the shared action table; the
        answer is the card that replaces the pressed one. Pressed on a card (``on_card``), a
        private note or a form arrives under the card, which stays as it was - as Slack
        leaves a message under its modal - so cancelling a form leads back to it."""
        action = ACTIONS.get(name)
        if action is None:
            return message_card(unknown_button(name).message)
        ctx = self.context(person_id)
        # The pressed message, for a form that must update it when submitted (Reject).
        origin = {"activity": turn.activity.reply_to_id or ""} if on_card else {}
        try:
            result = await self.db.call(
                lambda s: action.run(s, ctx, self.config, value, origin), write=action.writes
            )
        except PerfbotError as error:  # already decided, not theirs, over the cap, bad value
            return message_card(Message(error.message))
        if isinstance(result, SendWorkbook):
            note = await self.offer_workbook(turn, person_id, result.year, result.label)
            return {KEEP: note.text} if on_card else message_card(note)
        if on_card and isinstance(result, Tell | Show):
            shown = result.message if isinstance(result, Tell) else result.result
            await turn.send_activity(card_activity(self.card(shown)))
            return {KEEP: result.message.text if isinstance(result, Tell) else "Opened below."}
        return await self.answer(turn, person_id, result)

    async def answer(self, turn: TurnContext, person_id: int, result: Result) -> dict[str, Any]:
        """What a press shows, for the results ``press`` does not answer itself."""
        match result:
            case Show(shown):
                return self.card(shown)
            case Tell(message):
                return message_card(message)
            case Replace(message):
                card = message_card(message)
                await _replace_for_everyone(turn, card)
                return card
            case Post(messages, empty, title, awards):
                # A personal chat: each message arrives below, where it can be acted on; a
                # nomination to decide is kept with where it went, to be edited once decided.
                for n, message in enumerate(messages):
                    sent = await turn.send_activity(card_activity(message_card(message)))
                    if n < len(awards) and getattr(sent, "id", None):
                        ref = f"{turn.activity.conversation.id}:{sent.id}"
                        await self.db.call(
                            partial(
                                record_award_copy, recipient_id=person_id, award_id=awards[n],
                                message_ref=ref, now=self.clock.now(),
                            ),
                            write=True,
                        )  # fmt: skip
                count = len(messages)
                return message_card(
                    Message(
                        f"{count} shown below." if count else empty,
                        title=title if count else None,
                    )
                )
        raise AssertionError(f"unhandled action result {result!r}")

    # --- "Save as evidence" on any message (a message extension) -----------------------------
    async def save_as_evidence(self, turn: TurnContext, value: dict[str, Any]) -> dict[str, Any]:
        """``composeExtension/fetchTask``: the evidence form, filled in from the message the
        person chose it on (its text, author, time and link), in a Teams dialog."""
        person_id = await self.person_for(turn)
        if person_id is None:
            return _dialog_message(NOT_IN_ROSTER.text)
        message = _mapping(value.get("messagePayload"))
        ctx = self.context(person_id)
        author = await self._author(message)
        form = await self.db.call(
            lambda s: evidence.open_form(
                s, ctx, self.config,
                text=_plain_text(message.get("body")),
                link=message.get("linkToMessage") or None,
                source_ref=f"teams:{message.get('id', '')}",
                source_author=author,
                source_posted_at=_posted_at(message.get("createdDateTime")),
            )
        )  # fmt: skip
        return _dialog(form_card(form, self.seal(form), dialog=True))

    async def submit_evidence(self, turn: TurnContext, value: dict[str, Any]) -> dict[str, Any]:
        """``composeExtension/submitAction``: the dialog's form submitted. Mistakes come back
        in the same dialog with the answers kept; saved, the dialog says so and closes."""
        person_id = await self.person_for(turn)
        if person_id is None:
            return _dialog_message(NOT_IN_ROSTER.text)
        data = _mapping(value.get("data"))
        flow = str(data.get("verb", "")).removeprefix(FORM_VERB)
        if flow != evidence.FLOW:
            return _dialog_message("This form could not be read. Please start again.")
        ctx = self.context(person_id)
        try:
            values, form, state = self._submitted(flow, data)
        except StateError as error:
            return _dialog_message(error.message)
        try:
            result = await self.db.call(
                lambda s: submit_form(s, flow, ctx, self.config, state, values), write=True
            )
        except FormErrors as errors:
            form.state.update(state)
            return _dialog(
                form_card(form, self.seal(form), values=values, errors=errors.errors, dialog=True)
            )
        except PerfbotError as error:
            return _dialog_message(error.message)
        return _dialog_message(result.text if isinstance(result, Message) else "Saved.")

    async def _author(self, message: dict[str, Any]) -> str | None:
        """Who wrote a saved message: their roster name, else the name Teams shows."""
        sender = _mapping(message.get("from"))
        user = _mapping(sender.get("user"))
        if not user:  # an app's message
            app = _mapping(sender.get("application"))
            return app.get("displayName") or None
        key = user.get("aadObjectId") or user.get("id")
        person_id = key and await self.db.call(lambda s: linked_person(s, "teams", key))
        if person_id:
            return await self.db.call(lambda s: queries.name_of(s, person_id, "") or None)
        return user.get("displayName") or None

    # --- the HR workbook, by Teams' file consent flow -----------------------------------------
    async def offer_workbook(
        self, turn: TurnContext, person_id: int, year: int, label: str
    ) -> Message:
        """Build the HR workbook (in a worker thread: it takes seconds) and offer it with a
        file consent card; Teams asks the person to accept it, then gives perfbot a place to
        upload it (``file_consent``). The export checks again that they are HR, and audits it."""
        try:
            name, data, summary = await workbook_file(
                self.db, self.config, person_id=person_id, via=Via.TEAMS,
                now=self.clock.now(), year=year, label=label,
            )  # fmt: skip
        except PerfbotError as error:
            return Message(error.message)
        except Exception:  # whatever failed, the person who asked hears so, in words
            logger.exception("workbook export failed")
            return Message(
                f"The HR workbook for {label} could not be made, so nothing was sent. The "
                "failure is in perfbot's log for whoever runs it."
            )
        now = time.monotonic()
        self._files = {k: v for k, v in self._files.items() if v[0] > now}
        token = secrets.token_urlsafe(16)
        self._files[token] = (now + FILE_HELD_SECONDS, person_id, name, data)
        consent = Attachment(
            content_type=FILE_CONSENT,
            name=name,
            content={
                "description": summary,
                "sizeInBytes": len(data),
                "acceptContext": {"file": token},
                "declineContext": {"file": token},
            },
        )
        await turn.send_activity(MessageFactory.attachment(consent))
        return Message(
            title=f"HR workbook {label}",
            text=f"The HR workbook for {label} is ready: accept the file to receive it here.",
        )

    async def file_consent(self, turn: TurnContext, value: dict[str, Any]) -> None:
        """The person accepted or declined a workbook offered to them: upload it to the place
        Teams gave and show it in the chat, or let it go."""
        context = _mapping(value.get("context"))
        held = self._files.pop(str(context.get("file", "")), None)
        person_id = await self.person_for(turn)
        if value.get("action") == "decline":
            await self._settle_consent(turn, "You declined the workbook, so nothing was sent.")
            return
        if held is None or held[0] < time.monotonic() or held[1] != person_id:
            await self._settle_consent(
                turn, "This workbook is no longer waiting: ask for it again with `export`."
            )
            return
        _, _, name, data = held
        info = _mapping(value.get("uploadInfo"))
        url = str(info.get("uploadUrl") or "")
        if not url.startswith("https://") and not (self.dev and url.startswith("http://")):
            await self._settle_consent(turn, "Teams gave no place to put the file.")
            return
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
                headers = {"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
                async with http.put(url, data=data, headers=headers) as answer:
                    answer.raise_for_status()
        except (aiohttp.ClientError, TimeoutError):
            logger.warning("workbook upload to Teams failed")
            await self._settle_consent(turn, "The workbook could not be sent. Please try again.")
            return
        shown = Attachment(
            content_type=FILE_INFO,
            content_url=info.get("contentUrl"),
            name=info.get("name") or name,
            content={"uniqueId": info.get("uniqueId"), "fileType": info.get("fileType") or "xlsx"},
        )
        await turn.send_activity(MessageFactory.attachment(shown))
        await self._settle_consent(turn, f"Sent: {info.get('name') or name}, below.")

    async def _settle_consent(self, turn: TurnContext, text: str) -> None:
        """The file consent card becomes what happened, so it can't be accepted twice."""
        await _replace_for_everyone(turn, message_card(Message(text)))

    async def _submit(
        self, turn: TurnContext, ctx: Context, flow: str, data: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            values, form, state = self._submitted(flow, data)
        except StateError as error:
            return message_card(Message(error.message))
        reply_to = state.get("reply_to") or {}
        try:
            result = await self.db.call(
                lambda s: submit_form(s, flow, ctx, self.config, state, values), write=True
            )
        except FormErrors as errors:
            form.state.update(state)
            return form_card(form, self.seal(form), values=values, errors=errors.errors)
        except PerfbotError as error:
            return message_card(Message(error.message))
        card = self.card(result)
        if isinstance(result, Message) and reply_to.get("activity"):
            await _replace_for_everyone(turn, card, reply_to["activity"])  # a rejected award
        return card

    def _submitted(
        self, flow: str, data: dict[str, Any]
    ) -> tuple[dict[str, Any], Form, dict[str, Any]]:
        """A submitted card's answers, its form and its state, checked: signed, unexpired and
        of this flow (a card or a dialog alike); ``StateError`` in words otherwise."""
        try:
            values = parse_inputs(data)
            form = form_from_data(data["form"])
            state = self.sealer.unseal(str(data.get("state", "")))
            if state.pop("flow") != flow or flow not in SUBMITTERS or form.flow != flow:
                raise StateError("This form could not be checked. Please start again.")
        except StateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError):
            raise StateError("This form could not be read.") from None
        return values, form, state

    async def _back(self, ctx: Context, flow: str, data: dict[str, Any]) -> dict[str, Any]:
        """Edit on a step: the form before it again, with every answer the user gave."""
        try:
            state = self.sealer.unseal(str(data.get("state", "")))
            if state.pop("flow") != flow or flow not in BACK:
                raise StateError("This form could not be checked. Please start again.")
        except (StateError, KeyError, TypeError, ValueError, AttributeError) as error:
            return message_card(Message(getattr(error, "message", "This form could not be read.")))
        try:
            form, values = await self.db.call(lambda s: BACK[flow](s, ctx, self.config, state))
        except PerfbotError as error:
            return message_card(Message(error.message))
        if not isinstance(form, Form):
            return message_card(form)
        return form_card(form, self.seal(form), values=values)


class _TextAnswer(AdaptiveCardInvokeResponse):
    """An Action.Execute answer whose value is text, which leaves the pressed card as it is
    (botbuilder's model types the value as a mapping, so its serialiser refused text)."""

    _attribute_map = {
        **AdaptiveCardInvokeResponse._attribute_map,
        "value": {"key": "value", "type": "str"},
    }


def _invoke_body(body: Any) -> Any:
    """An invoke's answer as JSON. botbuilder answers a malformed invoke itself with a model
    that holds an Exception (it can't be serialised): that becomes a plain error body."""
    if not hasattr(body, "serialize"):
        return body
    try:
        return body.serialize()
    except Exception:
        return {
            "statusCode": int(getattr(body, "status_code", 400)),
            "type": "application/vnd.microsoft.error",
            "value": {"code": "BadRequest", "message": "This request could not be read."},
        }


def _mapping(value: Any) -> dict[str, Any]:
    """A part of an activity's value that should be an object (a client's garbage is empty)."""
    return value if isinstance(value, dict) else {}


_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>|</li>", re.IGNORECASE)


def _plain_text(body: Any) -> str:
    """A Teams message body (usually HTML) as the plain text a person would read."""
    if not isinstance(body, dict):
        return ""
    content = str(body.get("content") or "")
    if str(body.get("contentType", "")).lower() == "html":
        content = html.unescape(_TAG.sub("", _BREAK.sub("\n", content)))
    return "\n".join(line.strip() for line in content.splitlines()).strip()


def _posted_at(value: Any) -> datetime | None:
    try:
        posted = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return posted if posted.tzinfo else posted.replace(tzinfo=UTC)


def _dialog(card: dict[str, Any]) -> dict[str, Any]:
    """A message extension's answer: this card in a Teams dialog (task module)."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": "Save as evidence",
                "height": "large",
                "width": "medium",
                "card": {"contentType": CARD, "content": card},
            },
        }
    }


def _dialog_message(text: str) -> dict[str, Any]:
    """A message extension's answer: a short message in the dialog, which then closes."""
    return {"task": {"type": "message", "value": text}}


async def _replace_for_everyone(
    turn: TurnContext, card: dict[str, Any], message_id: str | None = None
) -> None:
    """The DG's approval card becomes the decision for everyone who sees that message: the
    pressed one, or ``message_id`` (the award a rejection form was opened from)."""
    message_id = message_id or turn.activity.reply_to_id
    if not message_id:
        return
    update = card_activity(card)
    update.id = message_id
    try:
        await turn.update_activity(update)
    except Exception:
        logger.warning("could not update the approval card message=%s", message_id)


class _Bot(ActivityHandler):
    def __init__(self, teams: TeamsAdapter) -> None:
        self.teams = teams

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        await self.teams.on_message(turn_context)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        """Installed in a personal chat: remember the person (and where to nudge them)."""
        added = turn_context.activity.members_added or []
        if any(m.id == turn_context.activity.recipient.id for m in added):
            await self.teams.welcome(turn_context)

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        if activity.name == "fileConsent/invoke":
            await self.teams.file_consent(turn_context, value)
            return InvokeResponse(status=200, body={})
        if activity.name == "composeExtension/fetchTask" and value.get("commandId") == SAVE:
            return InvokeResponse(status=200, body=await self.teams.save_as_evidence(
                turn_context, value))  # fmt: skip
        if activity.name == "composeExtension/submitAction" and value.get("commandId") == SAVE:
            return InvokeResponse(status=200, body=await self.teams.submit_evidence(
                turn_context, value))  # fmt: skip
        return await super().on_invoke_activity(turn_context)

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        action = invoke_value.action if isinstance(invoke_value.action, dict) else {}
        data = action.get("data")
        card = await self.teams.on_card_action(
            turn_context,
            str(action.get("verb") or ""),
            data if isinstance(data, dict) else {},  # a client's garbage is an empty form
        )
        if KEEP in card:  # the pressed card stays; Teams shows the note for a moment too
            return _TextAnswer(status_code=200, type=MESSAGE, value=card[KEEP])
        return AdaptiveCardInvokeResponse(status_code=200, type=CARD, value=card)
