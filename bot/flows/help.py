"""What perfbot can do, in a few lines (our own words)."""

from __future__ import annotations

from bot.flows.model import Message

COMMANDS = (
    ("home", "what needs you next, and by when: your decisions, your team and your own year"),
    ("rate", "log a quarterly indicative rating for one of your reports"),
    ("writeup", "line managers: the mid-year or end-year write-up for one of your reports"),
    ("self", "your own mid-year or end-year self-assessment (add end-year to choose it)"),
    ("plan", "line managers: record a development plan and its review meeting"),
    ("evidence", "add evidence to your portfolio against a minimum standard or objective"),
    ("portfolio", "your evidence this year, by standard and objective, to edit or delete"),
    ("objectives", "see your objectives, to revise or close one, or add milestones"),
    ("objective", "add an objective for yourself or a report"),
    ("360", "propose your 360 feedback respondents and see which are agreed"),
    ("award", "nominate someone you manage for an in-year award"),
    ("status", "your record, your team, approvals waiting for you, or HR's completion view"),
    ("settings", "when your day's list of reminders arrives; evidence prompts on or off"),
    ("export", "HR only: the HR workbook for a year, sent to you here (e.g. `export 2026`)"),
    ("help", "this list"),
)


# The commands Teams lists in its command menu (its manifest allows ten); the others are in
# help and work the same when typed.
TEAMS_MENU = ("home", "rate", "writeup", "self", "evidence", "objectives", "award", "status",
              "export", "help")  # fmt: skip


def help_message(prefix: str = "/perf") -> Message:
    """Every command the platform has: Slack's with the slash command, Teams' as plain words."""
    lines = [f"`{' '.join(filter(None, (prefix, name)))}` - {what}" for name, what in COMMANDS]
    menu = "More actions, then Save as evidence" if not prefix else "Save as evidence"
    return Message(
        title="perfbot",
        text="perfbot helps you run the Senior Civil Service performance year.",
        sections=(
            "\n".join(lines),
            f"You can also save any message as evidence from its ⋯ menu ({menu}). "
            "Reminders arrive here before each deadline.",
        ),
    )


def unknown_command(word: str, prefix: str = "/perf") -> Message:
    base = help_message(prefix)
    return Message(
        title=base.title,
        text=f"I don't know `{word}`. Here is what I can do:",
        sections=base.sections,
    )


NOT_IN_ROSTER = Message(
    text="You are not in the roster perfbot uses, so I can't help yet. Please ask HR to add you."
)
