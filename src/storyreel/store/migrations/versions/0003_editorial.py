"""Editorial and review: ratings/notes/tags and provenance on takes, shot decisions (lock, chain, focus,
fragments), keyframes, and the edited cut.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shots") as b:
        b.add_column(sa.Column("locked", sa.Boolean, nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("fragment", sa.Boolean, nullable=False, server_default=sa.false()))
        b.add_column(sa.Column("chain", sa.JSON, nullable=False, server_default="{}"))
        b.add_column(sa.Column("focus", sa.JSON, nullable=True))
    with op.batch_alter_table("takes") as b:
        b.add_column(sa.Column("rating", sa.Integer, nullable=True))
        b.add_column(sa.Column("note", sa.Text, nullable=False, server_default=""))
        b.add_column(sa.Column("tags", sa.JSON, nullable=False, server_default="[]"))
        b.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="generated"))
        b.add_column(sa.Column("source_take", sa.Integer, sa.ForeignKey("takes.id", name="fk_takes_source"),
                               nullable=True))
    op.create_table(
        "keyframes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("shot_code", sa.String(32), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("sha", sa.String(64), nullable=False),
        sa.Column("ext", sa.String(8), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("source_keyframe", sa.Integer, sa.ForeignKey("keyframes.id"), nullable=True),
        sa.Column("source_take", sa.Integer, sa.ForeignKey("takes.id"), nullable=True),
        sa.Column("source_frame", sa.Integer, nullable=True),
        sa.Column("job_id", sa.Integer, sa.ForeignKey("jobs.id"), nullable=True),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("approved", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("shot_code", "number", name="uq_keyframe_number"),
    )
    op.create_table(
        "cut_clips",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cut", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("take_id", sa.Integer, sa.ForeignKey("takes.id"), nullable=False),
        sa.Column("source_in", sa.Integer, nullable=False),
        sa.Column("source_out", sa.Integer, nullable=True),
        sa.Column("effects", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_cut_clips_cut", "cut_clips", ["cut", "position"])


def downgrade() -> None:
    op.drop_index("ix_cut_clips_cut", table_name="cut_clips")
    op.drop_table("cut_clips")
    op.drop_table("keyframes")
    with op.batch_alter_table("takes") as b:
        for col in ("source_take", "origin", "tags", "note", "rating"):
            b.drop_column(col)
    with op.batch_alter_table("shots") as b:
        for col in ("focus", "chain", "fragment", "locked"):
            b.drop_column(col)
