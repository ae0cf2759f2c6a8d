"""Neutral forms and messages as Adaptive Cards 1.5 (the highest version Teams renders).

Plain JSON: no botbuilder import is needed to build a card. A form is submitted with
``Action.Execute`` (an ``adaptiveCard/action`` invoke) whose verb names the flow and whose
data carries the signed flow state; the answer is another card - the same form with the
errors beside their fields and the user's values kept, or a confirmation.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from bot.flows.model import Button, Field, Form, Message, Note, Option

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
FORM_VERB = "perf:"  # Action.Execute verbs for form submissions start with this
BACK_VERB = "perf-back:"  # ... and for going back from a step to the form before it
CANCEL_VERB = "perf-cancel:"  # ... and for closing a form without saving
_BOLD = re.compile(r"(?<![*\w])\*([^*\n]+)\*(?![*\w])")


def _markdown(text: str) -> str:
    """The flows write Slack-style *bold* and single line breaks; Adaptive Cards want **bold**
    and a blank line (their markdown joins lines that a single break separates)."""
    return _BOLD.sub(r"**\1**", text).replace("\n", "\n\n")


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def _text(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": _markdown(text), "wrap": True, **extra}


def _input(field: Field, value: Any) -> dict[str, Any]:
    common: dict[str, Any] = {"id": field.id, "label": field.label, "isRequired": field.required}
    if field.required:
        common["errorMessage"] = f"{field.label} is required."
    kind = field.kind
    if kind in ("choice", "person"):
        expanded = kind == "choice" and 0 < len(field.options) <= 5
        element = {
            "type": "Input.ChoiceSet",
            **common,
            "style": "expanded" if expanded else "compact",
            "wrap": True,  # long choices (a rating's meaning) wrap rather than being cut
            # Each choice's hint ("£17,500 left this year", "not eligible") in its title, as
            # Slack shows it under the option.
            "choices": [
                {"title": f"{o.label} - {o.hint}" if o.hint else o.label, "value": o.value}
                for o in field.options
            ],
        }
        if not expanded:
            element["placeholder"] = "Choose a person" if kind == "person" else "Choose one"
        if value not in (None, ""):
            element["value"] = str(value)
        return element
    if kind == "toggle":
        return {
            "type": "Input.Toggle",
            **common,
            "title": field.hint or field.label,
            "wrap": True,  # the bias statement is a sentence
            "valueOn": "true",
            "valueOff": "false",
            "value": "true" if value in (True, "true") else "false",
        }
    if kind == "date":
        element = {"type": "Input.Date", **common}
    elif kind in ("number", "money"):  # money in pounds; the flow checks it again (F15)
        element = {"type": "Input.Number", **common}
        if kind == "money":
            element["placeholder"] = "Amount in £"
        if field.min_value is not None:
            element["min"] = field.min_value
        if field.max_value is not None:
            element["max"] = field.max_value
    else:
        element = {"type": "Input.Text", **common, "isMultiline": field.multiline}
        if field.max_length:
            element["maxLength"] = field.max_length
    if value in (None, ""):
        return element
    if kind in ("number", "money"):  # the schema wants a number; a non-number is not kept
        try:
            element["value"] = float(value)
        except (TypeError, ValueError):
            pass
    else:
        element["value"] = str(value)
    return element


def form_card(
    form: Form,
    sealed_state: str,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    dialog: bool = False,
) -> dict[str, Any]:
    """A flow's form. ``values`` (what the user sent) win over each field's initial value;
    ``errors`` appear under their fields in the attention colour. In a ``dialog`` (a message
    extension's task module) the form is sent with ``Action.Submit``, as dialogs require,
    and Teams' own close button is the way out."""
    values, errors = values or {}, errors or {}
    body: list[dict[str, Any]] = [_text(form.title, size="Medium", weight="Bolder")]
    for item in form.items:
        if isinstance(item, Note):
            body.append(_text(item.text))
            continue
        value = values.get(item.id, item.initial)
        body.append(_input(item, value))
        if item.hint and item.kind != "toggle":
            body.append(_text(item.hint, isSubtle=True, size="Small", spacing="None"))
        if item.id in errors:
            body.append(_text(errors[item.id], color="Attention", spacing="None"))
    unplaced = [
        m for f, m in errors.items() if f not in {getattr(i, "id", None) for i in form.items}
    ]
    for message in unplaced:
        body.append(_text(message, color="Attention"))
    submit: dict[str, Any] = {
        "type": "Action.Execute",
        "title": form.submit,
        "verb": FORM_VERB + form.flow,
        "data": {
            "state": sealed_state,
            "form": form_to_data(form),
            "toggles": [i.id for i in form.items if isinstance(i, Field) and i.kind == "toggle"],
        },
        "style": "positive",
    }
    if dialog:
        submit["type"] = "Action.Submit"
        submit["data"]["verb"] = submit.pop("verb")
        return _card(body, [submit])
    actions = [submit]
    if form.back:  # a step after another form: Edit goes back to it, every answer kept
        actions.append(
            {
                "type": "Action.Execute",
                "title": "Edit",
                "verb": BACK_VERB + form.flow,
                "data": {"state": sealed_state},
            }
        )
    actions.append(  # every form has a way out; nothing needs filling in to take it
        {
            "type": "Action.Execute",
            "title": "Cancel",
            "verb": CANCEL_VERB + form.flow,
            "associatedInputs": "none",
        }
    )
    return _card(body, actions)


def message_card(message: Message) -> dict[str, Any]:
    """A confirmation, status page or nudge, with its buttons as ``Action.Execute``."""
    body: list[dict[str, Any]] = []
    if message.title:
        body.append(_text(message.title, size="Medium", weight="Bolder"))
    body.append(_text(message.text))
    body += [_text(section) for section in message.sections]  # as Slack orders them
    for line, button in message.items:  # a to-do list: each line with its own button
        body.append(_text(line))
        if button is not None:
            body.append({"type": "ActionSet", "actions": [_action(button)]})
    if message.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": k, "value": _markdown(v)} for k, v in message.facts],
            }
        )
    return _card(body, [_action(button) for button in message.buttons])


def _action(button: Button) -> dict[str, Any]:
    """A button as ``Action.Execute``; one that asks first ("Approve £5,000 for X?") opens
    the question in the card (``Action.ShowCard``), where the answer is the real button."""
    execute = {
        "type": "Action.Execute",
        "title": f"Yes, {button.label.lower()}" if button.confirm else button.label,
        "verb": button.action_id,
        "data": {"value": button.value},
        **(
            {"style": "positive" if button.style == "primary" else "destructive"}
            if button.style
            else {}
        ),
    }
    if not button.confirm:
        return execute
    return {
        "type": "Action.ShowCard",
        "title": button.label,
        "card": {
            "type": "AdaptiveCard",
            "body": [_text(button.confirm, weight="Bolder")],
            "actions": [execute],
        },
    }


def parse_inputs(data: dict[str, Any]) -> dict[str, Any]:
    """An ``Action.Execute``'s data (card inputs arrive as strings) as the neutral values
    every flow's submit expects: toggles as booleans, empty inputs as None."""
    toggles = set(data.get("toggles") or ())
    values: dict[str, Any] = {}
    for key, raw in data.items():
        if key in ("state", "toggles", "value", "form", "verb"):
            continue
        if key in toggles:
            values[key] = str(raw).lower() == "true"
        elif raw is None or (isinstance(raw, str) and raw.strip() == ""):
            values[key] = None
        else:
            values[key] = str(raw)
    for key in toggles - set(values):
        values[key] = False
    return values


def form_to_data(form: Form) -> dict[str, Any]:
    """The form itself rides in the card's data, so that a submission with errors can be
    shown again with them beside their fields. It decides only what is drawn for the same
    user: what is stored is checked against the signed state and the store."""
    return {
        "flow": form.flow,
        "title": form.title,
        "submit": form.submit,
        "items": [
            {"note": item.text}
            if isinstance(item, Note)
            else {
                **{k: v for k, v in asdict(item).items() if k != "options"},
                "options": [asdict(o) for o in item.options],
            }
            for item in form.items
        ],
    }


def form_from_data(data: dict[str, Any]) -> Form:
    items: list[Field | Note] = []
    for item in data["items"]:
        if "note" in item:
            items.append(Note(item["note"]))
        else:
            options = tuple(Option(**o) for o in item.get("options", ()))
            items.append(Field(**{**item, "options": options}))
    return Form(flow=data["flow"], title=data["title"], submit=data["submit"], items=tuple(items))
