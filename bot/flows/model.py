"""The channel-neutral form and message model that every flow speaks.

``bot/slack`` renders these as Block Kit, ``bot/teams`` as Adaptive Cards. No Slack or Teams
import may appear in ``bot/flows`` (a test checks).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

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


@dataclass(frozen=True)
class Form:
    flow: str  # which flow handles the submission
    title: str  # Slack: at most 24 characters
    submit: str
    items: tuple[Field | Note, ...]
    state: dict[str, Any] = field(default_factory=dict)  # signed and returned on submit


@dataclass(frozen=True)
class Message:
    text: str
    title: str | None = None
    facts: tuple[tuple[str, str], ...] = ()
    buttons: tuple[Button, ...] = ()
    sections: tuple[str, ...] = ()  # extra paragraphs (status pages, the home tab)


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


class StateError(PerfbotError):
    """The form's hidden state was altered or is too old."""


def seal(state: dict[str, Any], secret: bytes, *, issued: float | None = None) -> str:
    """Sign a flow's state for the round trip through the platform (Slack's limit: 3000)."""
    body = json.dumps(
        {"s": state, "t": int(issued if issued is not None else time.time())},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    mac = hmac.new(secret, body, hashlib.sha256).digest()[:16]
    sealed = base64.urlsafe_b64encode(mac + body).decode()
    if len(sealed) > 3000:
        raise ValueError("flow state too large for private_metadata")
    return sealed


def unseal(sealed: str, secret: bytes, *, now: float | None = None) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        mac, body = raw[:16], raw[16:]
        valid = hmac.compare_digest(mac, hmac.new(secret, body, hashlib.sha256).digest()[:16])
        data = json.loads(body) if valid else None
    except (ValueError, TypeError):
        data = None
    if not isinstance(data, dict):
        raise StateError("This form could not be checked. Please start again.")
    if (now if now is not None else time.time()) - data["t"] > STATE_MAX_AGE_SECONDS:
        raise StateError("This form was open too long. Please start again.")
    return dict(data["s"])
