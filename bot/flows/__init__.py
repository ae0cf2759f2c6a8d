"""Channel-neutral flows: each builds its form, checks the submission and calls the store's
services. Adapters (bot/slack, bot/teams) only translate."""
