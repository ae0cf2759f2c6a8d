"""Neutral forms and messages as Block Kit. Forms are built with slack_sdk's models (they
enforce Slack's limits: modal titles <= 24 characters, option text <= 75, at most 100 blocks
in a modal); messages, as plain dicts with the same limits applied here (at most 50 blocks)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.flows.model import Button, Field, Form, Message, Note

MODAL_MAX_BLOCKS, MESSAGE_MAX_BLOCKS = 100, 50
TITLE_MAX, OPTION_TEXT_MAX, SECTION_MAX, PLAIN_INPUT_MAX = 24, 75, 3000, 3000


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escaped(text: str) -> str:
    """Text for a mrkdwn field or a message's top-level text: Slack reads ``<...>`` there as
    a link or a mention (``<!channel>`` notifies everyone), and an award reason or a note is
    whatever someone typed. Escaped as Slack's formatting rules say, it shows as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


FALLBACK_MAX = 3900  # Slack asks for a message's top-level text to stay under 4,000 characters


def fallback_text(message: Message) -> str:
    """A message's complete top-level text: what screen readers and notifications read
    instead of the blocks - the words, every section and every fact."""
    parts = [message.text, *message.sections, *(line for line, _ in message.items)]
    parts += [f"{k}: {v}" for k, v in message.facts]
    text = escaped("\n".join(p for p in parts if p))
    return text if len(text) <= FALLBACK_MAX else text[: FALLBACK_MAX - 1] + "…"


def _pieces(text: str, limit: int) -> list[str]:
    """A long (escaped) text in pieces of at most ``limit``, split between words where it
    can be: a section someone must read in full is never cut short."""
    pieces = []
    while len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ")
    return [*pieces, text]


def _md(text: str, limit: int) -> MarkdownTextObject:
    return MarkdownTextObject(text=_cut(escaped(text), limit))


def _option(value: str, label: str, hint: str | None = None) -> Option:
    return Option(
        value=value,
        label=_cut(label, OPTION_TEXT_MAX),
        description=_cut(hint, OPTION_TEXT_MAX) if hint else None,
    )


def _element(field: Field) -> Any:
    if field.kind in ("choice", "person"):
        options = [_option(o.value, o.label, o.hint) for o in field.options]
        initial = next((o for o in options if o.value == field.initial), None)
        if field.kind == "choice" and 0 < len(options) <= 5:
            # Radio buttons show each option's one-line description (e.g. the four boxes).
            return RadioButtonsElement(action_id=field.id, options=options, initial_option=initial)
        return StaticSelectElement(
            action_id=field.id,
            options=options[:100],
            initial_option=initial,
            placeholder=PlainTextObject(text="Choose…"),
        )
    if field.kind == "text":
        return PlainTextInputElement(
            action_id=field.id,
            multiline=field.multiline,
            max_length=min(field.max_length or PLAIN_INPUT_MAX, PLAIN_INPUT_MAX),
            initial_value=_cut(str(field.initial), PLAIN_INPUT_MAX) if field.initial else None,
        )
    if field.kind in ("number", "money"):
        return NumberInputElement(
            action_id=field.id,
            is_decimal_allowed=field.kind == "money",
            min_value=None if field.min_value is None else str(field.min_value),
            max_value=None if field.max_value is None else str(field.max_value),
            initial_value=None if field.initial is None else str(field.initial),
        )
    if field.kind == "date":
        return DatePickerElement(
            action_id=field.id, initial_date=str(field.initial) if field.initial else None
        )
    # toggle: one checkbox
    box = _option("yes", "Yes")
    return CheckboxesElement(
        action_id=field.id, options=[box], initial_options=[box] if field.initial else None
    )


def _blocks_for(item: Field | Note) -> Block:
    if isinstance(item, Note):
        return SectionBlock(text=_md(item.text, SECTION_MAX))
    return InputBlock(
        block_id=item.id,
        label=PlainTextObject(text=_cut(item.label, 2000)),
        element=_element(item),
        optional=not item.required,
        hint=PlainTextObject(text=_cut(item.hint, 2000)) if item.hint else None,
    )


def modal(form: Form, sealed_state: str) -> dict[str, Any]:
    blocks = [_blocks_for(item) for item in form.items]
    assert len(blocks) <= MODAL_MAX_BLOCKS
    view = View(
        type="modal",
        callback_id=f"perf:{form.flow}",
        title=PlainTextObject(text=_cut(form.title, TITLE_MAX)),
        submit=PlainTextObject(text=_cut(form.submit, TITLE_MAX)),
        close=PlainTextObject(text="Back" if form.back else "Cancel"),
        blocks=blocks,
        private_metadata=sealed_state,
    )
    return view.to_dict()


# Messages are built as plain dicts: every answer and every nudge is one, and building them
# through the models cost more than the rest of answering a form. The same limits are applied
# here, and tests check what comes out against Slack's schemas.
def _plain(text: str, *, emoji: bool = False) -> dict[str, Any]:
    """Slack's plain text; ``emoji``: ":smile:" shows as the emoji (headers and buttons)."""
    plain = {"type": "plain_text", "text": text}
    return {**plain, "emoji": True} if emoji else plain


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _confirm(button: Button) -> dict[str, Any]:
    """Slack's own "are you sure?" dialog, asked before the press is sent."""
    return {
        "title": _plain(_cut("Please confirm", 100), emoji=True),
        "text": _plain(_cut(button.confirm or "", 300)),  # names are not markup
        "confirm": _plain(_cut(f"Yes, {button.label.lower()}", 30), emoji=True),
        "deny": _plain("Cancel", emoji=True),
    }


def _button(b: Button) -> dict[str, Any]:
    button = {
        "type": "button",
        "text": _plain(_cut(b.label, OPTION_TEXT_MAX), emoji=True),
        "action_id": b.action_id,
        "value": b.value or "-",
    }
    if b.style:
        button["style"] = b.style
    if b.confirm:
        button["confirm"] = _confirm(b)
    return button


def _section(text: str, accessory: dict[str, Any] | None = None) -> dict[str, Any]:
    section = {"type": "section", "text": _mrkdwn(text)}
    if accessory is not None:
        section["accessory"] = accessory
    return section


def message_blocks(message: Message) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if message.title:
        blocks.append({"type": "header", "text": _plain(_cut(message.title, 150), emoji=True)})
    blocks.append(_section(_cut(escaped(message.text), SECTION_MAX)))
    for section in message.sections:
        blocks.extend(_section(piece) for piece in _pieces(escaped(section), SECTION_MAX))
    for line, button in message.items:  # a to-do list: each line with its own button
        blocks.append(
            _section(
                _cut(escaped(line), SECTION_MAX),
                _button(button) if button is not None else None,
            )
        )
    if message.facts:
        facts = [
            _mrkdwn(_cut(f"*{escaped(label)}:* {escaped(value)}", SECTION_MAX))
            for label, value in message.facts[:10]
        ]
        blocks.append({"type": "context", "elements": facts})
    if message.buttons:
        blocks.append({"type": "actions", "elements": [_button(b) for b in message.buttons[:25]]})
    assert len(blocks) <= MESSAGE_MAX_BLOCKS
    return blocks


def message_modal(message: Message) -> dict[str, Any]:
    """A message shown in place of a submitted modal (its confirmation)."""
    blocks = message_blocks(
        Message(text=message.text, sections=message.sections, facts=message.facts)
    )
    return {
        "type": "modal",
        "title": _plain(_cut(message.title or "perfbot", TITLE_MAX)),
        "close": _plain("Done"),
        "blocks": blocks,
    }


def home_view(message: Message) -> dict[str, Any]:
    return {"type": "home", "blocks": message_blocks(message)}


def parse_values(state: dict[str, Any]) -> dict[str, Any]:
    """A submitted view's ``state.values`` as plain neutral values, by field id."""
    values: dict[str, Any] = {}
    for block in state.get("values", {}).values():
        for action_id, element in block.items():
            kind = element.get("type")
            if kind in ("static_select", "radio_buttons", "external_select"):
                chosen = element.get("selected_option")
                values[action_id] = chosen.get("value") if chosen else None
            elif kind == "checkboxes":
                values[action_id] = bool(element.get("selected_options"))
            elif kind == "datepicker":
                values[action_id] = element.get("selected_date")
            else:  # plain_text_input, number_input
                values[action_id] = element.get("value")
    return values
