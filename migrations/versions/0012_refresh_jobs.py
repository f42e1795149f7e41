"""Refresh jobs: ``mirror_jobs.space_id``, the space a picker refresh re-lists.

A sync is a job of a whole integration; the picker's repository refresh is a job of one space
of it (``active_key`` ``"refresh:<space id>"``), and the job must say which space it re-lists.
NULL for every job that is not about one space. No foreign key, as for ``integration_id``: a
space removed by a sync leaves its finished jobs readable, and a queued one fails with a
sentence.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mirror_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("space_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mirror_jobs", schema=None) as batch_op:
        batch_op.drop_column("space_id")
