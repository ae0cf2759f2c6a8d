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


# Where a platform does a command differently, what it says there (Teams: no file upload yet,
# and no message menu to save evidence from).
TEAMS = {"export": "HR only: how to get the HR workbook for a year (e.g. `export 2026`)"}


def help_message(prefix: str = "/perf") -> Message:
    """Every command the platform has: Slack's with the slash command, Teams' as plain words."""
    teams = not prefix
    lines = [
        f"`{' '.join(filter(None, (prefix, name)))}` - {TEAMS.get(name, what) if teams else what}"
        for name, what in COMMANDS
    ]
    saving = (
        ""
        if teams
        else "You can also save any message as evidence from its ⋯ menu (Save as evidence). "
    )
    return Message(
        title="perfbot",
        text="perfbot helps you run the Senior Civil Service performance year.",
        sections=("\n".join(lines), f"{saving}Reminders arrive here before each deadline."),
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
