"""Alembic environment: the database URL and metadata come from bot.settings / bot.db."""

from logging.config import fileConfig

from alembic import context

import bot.content.models  # noqa: F401 - registers the content tables
import bot.directory.models  # noqa: F401 - registers the directory tables
import bot.web.admin.models  # noqa: F401 - registers the staff console tables
from bot.db import Base, get_engine

if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def run_migrations_online() -> None:
    with get_engine().connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
