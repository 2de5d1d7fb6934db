"""Service directory: HSDS 3.0 models, seed loader, city resolution and the HSDS mapping.

Importing the package registers the tables on `bot.db.Base.metadata` (Alembic reads it).
"""

from bot.directory import models  # noqa: F401

__all__ = ["models"]
