"""The lease table: which process leads a piece of background work, and until when.

One row per lease name (``health``, ``pull-drift``), never deleted: the row's primary key is
what refuses a second holder at the very first start, and after that taking a lease is a
conditional ``UPDATE`` of that row (:mod:`mirror_plugin.services.leases`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from mirror_plugin.models import MirrorBase


class Lease(MirrorBase):
    """Who holds the lease ``name`` (host:pid:random), and when it runs out if not renewed."""

    __tablename__ = "mirror_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    #: Past it the holder is presumed dead and anyone may take the lease over.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
