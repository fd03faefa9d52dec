"""The indexing outbox: one row per changed item, written in the transaction of the change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rse.database import Model
from rse.dbtypes import UTCDateTime, utcnow


class SearchChange(Model):
    """An item to (re)index or remove. Its id is the version written into the index.

    Rows are marked done, not deleted, when the engine has them: a full reindex replays
    the changes made while it was building. `flask search sync` purges old done rows.
    """

    __tablename__ = "search_changes"
    __table_args__ = (Index("ix_search_changes_pending", "done_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
