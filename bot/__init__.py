"""Composition root: settings, the Slack app factory, the HTTP server and the CLI."""
