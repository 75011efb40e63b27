"""The chat surface: slash commands, actions, views and App Home, and their builders (of the
neutral conversation, `handlers/conversation.py`; `handlers/slack_render.py` renders it)."""
