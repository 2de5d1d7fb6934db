"""Base of the console's own pages (review queue, translations, transfer, insights)."""

from __future__ import annotations

from typing import ClassVar

from sqladmin import BaseView
from sqlalchemy.orm import Session, sessionmaker


class ConsolePage(BaseView):
    """A sqladmin page that reads and writes through the console's audited sessions."""

    session_maker: ClassVar[sessionmaker[Session]]
