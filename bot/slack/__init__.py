"""Slack adapter: Block Kit rendering, the Bolt app and the outbox channel."""
