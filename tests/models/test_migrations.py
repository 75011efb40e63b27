from alembic import command
from sqlalchemy import Engine, inspect

from models.base import Base
from models.db import alembic_config


def test_models_and_migrations_agree(engine: Engine) -> None:
    """`alembic check` on the schema the migrations built: no drift from the models."""
    command.check(alembic_config(engine))


def test_every_model_table_exists(engine: Engine) -> None:
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
