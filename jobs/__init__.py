"""The clock surface: what is due now, delivered exactly once (nudges arrive with issue 3)."""
