"""Domain errors: each carries a message worded for the person who caused it.

Adapters turn these into ephemeral replies or inline form errors; ``field`` names the form
field at fault, when there is one.
"""

from __future__ import annotations


class PerfbotError(Exception):
    """Base of every error a user may see."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class PermissionDenied(PerfbotError):
    """The actor may not do this to this person."""


class RuleViolation(PerfbotError):
    """The framework forbids it (the message names the rule)."""

    def __init__(self, rule: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.rule = rule


class InvalidInput(PerfbotError):
    """A value is missing, malformed or out of range."""


class NotFound(PerfbotError):
    """The person, award or objective does not exist."""


class Conflict(PerfbotError):
    """The thing was already done or changed since the user looked (e.g. an award decided)."""


class ConfigError(PerfbotError):
    """The department config or environment is wrong; the message names the key."""
