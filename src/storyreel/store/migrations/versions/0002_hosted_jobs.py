"""Hosted providers: adapter data and retry time on jobs, draft/final links and cost on takes, ledger basis.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as b:
        b.add_column(sa.Column("remote_data", sa.JSON, nullable=False, server_default="{}"))
        b.add_column(sa.Column("estimate", sa.Float, nullable=False, server_default="0"))
        b.add_column(sa.Column("draft", sa.Boolean, nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("upgrade_of", sa.Integer, sa.ForeignKey("takes.id", name="fk_jobs_upgrade_of"),
                               nullable=True))
        b.add_column(sa.Column("next_try_at", sa.Float, nullable=True))
    with op.batch_alter_table("takes") as b:
        b.add_column(sa.Column("draft", sa.Boolean, nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("parent_take", sa.Integer, sa.ForeignKey("takes.id", name="fk_takes_parent"),
                               nullable=True))
        b.add_column(sa.Column("cost", sa.Float, nullable=False, server_default="0"))
    with op.batch_alter_table("ledger") as b:
        b.add_column(sa.Column("shot_code", sa.String(32), nullable=True))
        b.add_column(sa.Column("basis", sa.String(16), nullable=False, server_default="estimate"))


def downgrade() -> None:
    with op.batch_alter_table("ledger") as b:
        b.drop_column("basis")
        b.drop_column("shot_code")
    with op.batch_alter_table("takes") as b:
        b.drop_column("cost")
        b.drop_column("parent_take")
        b.drop_column("draft")
    with op.batch_alter_table("jobs") as b:
        b.drop_column("next_try_at")
        b.drop_column("upgrade_of")
        b.drop_column("draft")
        b.drop_column("estimate")
        b.drop_column("remote_data")
