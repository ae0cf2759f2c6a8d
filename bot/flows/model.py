"""The channel-neutral form and message model that every flow speaks.

``bot/slack`` renders these as Block Kit, ``bot/teams`` as Adaptive Cards. No Slack or Teams
import may appear in ``bot/flows`` (a test checks).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from itsdangerous import BadData, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from store.errors import PerfbotError
from store.models import Via

FieldKind = Literal["choice", "text", "number", "money", "date", "toggle", "person"]


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    hint: str | None = None


@dataclass(frozen=True)
class Field:
    """One input. ``kind`` person is a choice among roster people the flow offers."""

    id: str
    label: str
    kind: FieldKind
    required: bool = True
    hint: str | None = None
    options: tuple[Option, ...] = ()
    multiline: bool = False
    max_length: int | None = None
    initial: Any = None
    min_value: float | None = None
    max_value: float | None = None


@dataclass(frozen=True)
class Note:
    """Read-only text inside a form (context, derived values, warnings)."""

    text: str


@dataclass(frozen=True)
class Button:
    action_id: str
    label: str
    value: str = ""
    style: Literal["primary", "danger"] | None = None
    confirm: str | None = None  # a question to answer first ("Approve £5,000 for Ada Quill?")


@dataclass(frozen=True)
class Form:
    flow: str  # which flow handles the submission
    title: str  # Slack: at most 24 characters
    submit: str
    items: tuple[Field | Note, ...]
    state: dict[str, Any] = field(default_factory=dict)  # signed and returned on submit
    # A step after another form (a review before saving): the platform offers a way back to
    # that form with every answer kept (Slack: a pushed view's Back; Teams: an Edit button).
    back: bool = False


@dataclass(frozen=True)
class Message:
    text: str
    title: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    sections: tuple[str, ...] = ()  # extra paragraphs (status pages, the home tab)
    # Lines each with their own button (a day's to-do list), after the sections.
    items: tuple[tuple[str, Button | None], ...] = ()


class FormErrors(Exception):
    """Errors to show beside the fields; the user's other values stay as they were."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors

    @classmethod
    def from_error(
        cls,
        error: PerfbotError,
        fields: tuple[str, ...],
        default: str,
        aliases: dict[str, str] | None = None,
    ) -> FormErrors:
        """Put a service's error beside its field (or the flow's main field); ``aliases``
        maps a service's field names onto the form's."""
        field = (aliases or {}).get(error.field or "", error.field)
        return cls({field if field in fields else default: error.message})


@dataclass(frozen=True)
class Context:
    """Who is acting, through which platform, and when."""

    person_id: int
    via: Via
    now: datetime


# --- signed flow state ------------------------------------------------------------------------
STATE_MAX_AGE_SECONDS = 60 * 60  # a form left open longer than an hour is started again
STATE_MAX_CHARS = 3000  # Slack's limit on a view's private_metadata


def sealed_state(form: Form) -> dict[str, Any]:
    """What a form carries through the platform: its flow, a fresh id (so the store takes
    each form once) and the flow's own state."""
    return {"flow": form.flow, "form_id": uuid.uuid4().hex, **form.state}


class StateError(PerfbotError):
    """The form's hidden state was altered or is too old."""


class FormSealer:
    """Signs a flow's state for its round trip through the platform (a Slack view's
    private_metadata, a Teams card's data) and checks it on the way back: timed and salted
    (itsdangerous), so a form's state can't be altered, replayed after an hour, or moved
    between platforms.

    The key is the platform's own secret. Without one (Slack in Socket Mode has no signing
    secret to hand) it is random for this process - never derived from an empty string -
    so a form left open across a restart asks to be started again.
    """

    def __init__(self, secret: str | bytes | None, *, salt: str) -> None:
        self._secret: str | bytes = secret or secrets.token_bytes(32)
        self._salt = salt
        self._serializer = URLSafeTimedSerializer(self._secret, salt=salt)

    def seal(self, state: dict[str, Any], *, issued: float | None = None) -> str:
        serializer = self._serializer
        if issued is not None:  # tests: a form opened in the past
            at = int(issued)

            class _IssuedAt(TimestampSigner):
                def get_timestamp(self) -> int:
                    return at

            serializer = URLSafeTimedSerializer(self._secret, salt=self._salt, signer=_IssuedAt)
        sealed = serializer.dumps(state)
        if len(sealed) > STATE_MAX_CHARS:
            raise ValueError("flow state too large for private_metadata")
        return sealed

    def unseal(self, sealed: str) -> dict[str, Any]:
        try:
            state = self._serializer.loads(sealed, max_age=STATE_MAX_AGE_SECONDS)
        except SignatureExpired:
            raise StateError("This form was open too long. Please start again.") from None
        except (BadData, TypeError, ValueError):
            state = None
        if not isinstance(state, dict):
            raise StateError("This form could not be checked. Please start again.")
        return state
