"""Nudges from the scheduler's outbox as neutral messages, each with its buttons and Snooze."""

from __future__ import annotations

from bot.flows.model import Button, Message
from scheduler.nudges import Nudge


def nudge_message(nudge: Nudge) -> Message:
    buttons = tuple(
        Button(
            a.action_id,
            a.label,
            a.value,
            "primary"
            if i == 0 and a.action_id != "snooze"
            else ("danger" if a.action_id == "award_reject" else None),
            a.confirm,
        )
        for i, a in enumerate(nudge.actions)
    )
    items = tuple(
        (text, Button(a.action_id, a.label, a.value, None, a.confirm) if a else None)
        for text, a in nudge.items
    )
    return Message(
        title=nudge.title, text=nudge.text, facts=nudge.facts, buttons=buttons, items=items
    )
