"""A request to POST /slack/events, checked and parsed once, before Bolt sees it.

Slack sends every button press and form back with the whole view it came from - a rating
form's body is about 24 KB, most of it percent-escaped JSON - so parsing is the largest part
of answering one. Bolt would parse the body again (with ``urllib``'s pure-Python unquoting,
about 1.3 ms for that form); here it is parsed once, with the escapes decoded in C, and Bolt
is handed the result.
"""

from __future__ import annotations

import binascii
import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

from slack_sdk.signature import SignatureVerifier

# A "%" not followed by two hex digits: urllib keeps it as it is, binascii would not.
_LOOSE_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def unquote_plus(data: bytes) -> str:
    """``urllib.parse.unquote_plus`` for form data, as bytes in and text out, with the same
    answer for every input (tested): percent escapes become the quoted-printable "=XX" that
    ``binascii.a2b_qp`` decodes in C, after any "=" already there is escaped itself."""
    if _LOOSE_PERCENT.search(data):
        return urllib.parse.unquote_plus(data.decode("utf-8", "replace"))
    qp = data.replace(b"=", b"=3D").replace(b"%", b"=").replace(b"+", b" ")
    return binascii.a2b_qp(qp).decode("utf-8", "replace")


def form_fields(raw: bytes) -> dict[str, str]:
    """Form-encoded fields (the last of a repeated name wins, as in Bolt)."""
    fields: dict[str, str] = {}
    for pair in raw.split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        fields[unquote_plus(name)] = unquote_plus(value)
    return fields


def signed(verifier: SignatureVerifier | None, headers: Mapping[str, str], raw: bytes) -> bool:
    """True when Slack signed this body, recently. A timestamp that is not a number counts as
    unsigned (the SDK's check would raise on it)."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    return bool(
        verifier
        and timestamp.isdigit()
        and signature
        and verifier.is_valid(raw, timestamp, signature)
    )


def parse(headers: Mapping[str, str], raw: bytes) -> dict[str, Any] | str:
    """The body as Bolt reads it - an event's JSON, a slash command's fields, or an
    interactive payload's JSON - or, when it is none of these, what is wrong with it. Bolt
    assumes the shape (a JSON object, with the fields its kind always has) and answers 500
    with a traceback when a client breaks that."""
    try:
        if "application/json" in headers.get("Content-Type", "") or raw.startswith(b"{"):
            body = json.loads(raw)
            return body if isinstance(body, dict) else "the body is not a JSON object"
        fields = form_fields(raw)
        if "payload" not in fields:
            return fields  # a slash command: its fields are all text
        payload = json.loads(fields["payload"])
    except (ValueError, UnicodeDecodeError):
        return "the body is not the JSON or form data Slack sends"
    return _payload_problem(payload) or payload


_SHAPES: dict[str, dict[str, type]] = {
    # the fields perfbot's handlers (and Bolt) read from each kind of interactive payload
    "view_submission": {"user": dict, "view": dict},
    "block_actions": {"user": dict, "actions": list},
    "message_action": {"user": dict, "message": dict, "channel": dict},
}


def _payload_problem(payload: Any) -> str | None:
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        return "the payload has no type"
    for name, kind in _SHAPES.get(payload["type"], {}).items():
        if not isinstance(payload.get(name), kind):
            return f"the payload's {name} is missing or of the wrong kind"
    view = payload.get("view")
    if isinstance(view, dict) and not (
        isinstance(view.get("type"), str)
        and isinstance(view.get("callback_id", ""), str)
        and isinstance(view.get("private_metadata", ""), str)
        and isinstance(view.get("state", {}), dict)
    ):
        return "the view is not shaped as Slack sends it"
    actions = payload.get("actions")
    if isinstance(actions, list) and not all(
        isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions
    ):
        return "an action has no id"
    return None
