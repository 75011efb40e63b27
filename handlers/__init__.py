"""The chat surface: slash commands, actions, views and App Home, and their Block Kit builders."""
