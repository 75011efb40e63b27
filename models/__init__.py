"""The domain: SQLAlchemy models and the operations on them. No Slack in here."""
