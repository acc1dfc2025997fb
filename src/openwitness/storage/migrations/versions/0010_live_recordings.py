"""Live recordings: chunks logged while a recording is made (openwitness.live).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "live_recording",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("follow_token_sha256", sa.String(64), unique=True),
        sa.Column("audio_only", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chunks", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("last_sha256", sa.String(64)),
        sa.Column("last_chunk_at", sa.DateTime(timezone=True)),
        sa.Column("logged_ms", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(100)),
        sa.Column("stream_state", sa.String(200)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("whole_sha256", sa.String(64), sa.ForeignKey("evidence.sha256")),
        sa.Column("contact_state", sa.String(10)),
    )
    op.create_table(
        "live_chunk",
        sa.Column(
            "recording_id", sa.String(32), sa.ForeignKey("live_recording.id"), primary_key=True
        ),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log_index", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_live_chunk_sha256", "live_chunk", ["sha256"])


def downgrade() -> None:
    op.drop_table("live_chunk")
    op.drop_table("live_recording")
