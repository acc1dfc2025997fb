"""Witnessing (openwitness.witnessing): the latest checkpoint this server cosigned for each
log it witnesses, and the size each of this log's witnesses last cosigned.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "witnessed_log",
        sa.Column("origin", sa.String(300), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "log_witness_state",
        sa.Column("witness", sa.String(300), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_witness_state")
    op.drop_table("witnessed_log")
