"""Block Kit for neutral messages, built with slack_sdk's models (which enforce Slack's limits)."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from scheduler.messages import Nudge

MESSAGE_MAX_BLOCKS = 50  # Slack's limit for a message
HEADER_MAX = 150


def nudge_blocks(nudge: Nudge) -> list[dict[str, Any]]:
    """A nudge as a DM: header, text, facts, and its buttons (each carries the outbox id)."""
    blocks: list[Any] = [
        HeaderBlock(text=nudge.title[:HEADER_MAX]),
        SectionBlock(text=MarkdownTextObject(text=nudge.text)),
    ]
    if nudge.facts:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(text=f"*{label}:* {value}")
                    for label, value in nudge.facts[:10]
                ]
            )
        )
    if nudge.actions:
        blocks.append(
            ActionsBlock(
                block_id=f"nudge:{nudge.outbox_id}",
                elements=[
                    ButtonElement(
                        text=a.label[:75],
                        action_id=a.action_id,
                        value=a.value or "-",
                        style="primary" if i == 0 else None,
                    )
                    for i, a in enumerate(nudge.actions[:5])
                ],
            )
        )
    assert len(blocks) <= MESSAGE_MAX_BLOCKS
    return [block.to_dict() for block in blocks]
