"""perfbot's store: the data, the framework's rules and the only ways to change them.

Nothing here imports Slack, Teams or the scheduler (DESIGN.md, "Layout").
"""
