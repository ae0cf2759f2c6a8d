"""Slack's request bodies are parsed once, by perfbot, with a faster unquoting than urllib's:
it must give urllib's answer for every input, well-formed or not."""

from __future__ import annotations

import json
import urllib.parse

from hypothesis import given
from hypothesis import strategies as st

from bot.slack.inbound import form_fields, parse, unquote_plus

# what a client could put in a body: escapes (valid or broken), "+", "=", "&", any text
_PIECES = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["%", "%2", "%zz", "%2B", "%3d", "%E2%82%AC", "%ff", "+", "=", "==", "&"]),
    st.from_regex(r"%[0-9A-Fa-f]{2}", fullmatch=True),
)


@given(st.lists(_PIECES, max_size=30).map("".join))
def test_unquoting_gives_urllibs_answer_for_any_input(text: str) -> None:
    assert unquote_plus(text.encode()) == urllib.parse.unquote_plus(text)


@given(st.dictionaries(st.text(min_size=1, max_size=10), st.text(max_size=40), max_size=6))
def test_form_fields_round_trip(fields: dict[str, str]) -> None:
    encoded = urllib.parse.urlencode(fields).encode()
    assert form_fields(encoded) == fields
    assert form_fields(encoded) == dict(urllib.parse.parse_qsl(encoded.decode(), True))


def test_a_payload_is_parsed_to_its_json_and_a_command_to_its_fields() -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    payload = {"type": "block_actions", "user": {"id": "U1"}, "actions": [{"action_id": "a"}]}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    assert parse(form, body) == payload
    # a command's text may say "payload" (Bolt would have taken it for an empty payload)
    assert parse(form, b"command=%2Fperf&text=payload")["text"] == "payload"  # type: ignore[index]
    assert parse({"Content-Type": "application/json"}, b'{"type": "event_callback"}') == {
        "type": "event_callback"
    }
    assert parse({"Content-Type": "application/json"}, b"[1]") == "the body is not a JSON object"
    assert parse(form, b"payload=%7B") == "the body is not the JSON or form data Slack sends"
    assert parse(form, b"payload=%7B%7D") == "the payload has no type"
