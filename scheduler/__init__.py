"""perfbot's clock: the performance-year calendar, the nudge planner and outbox delivery."""
