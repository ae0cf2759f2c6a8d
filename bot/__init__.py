"""perfbot's conversation layer: neutral flows, platform adapters, web server and CLI."""
