"""Conduct screening: lodged chat exports, sealed participants, scored messages, media with
perceptual hashes, and reviewers' decisions (openwitness.screening).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "screening_export",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("evidence.sha256"), nullable=False),
        sa.Column("organisation_id", sa.String(64), sa.ForeignKey("organisation.id")),
        sa.Column("complaint_id", sa.Integer(), sa.ForeignKey("complaint.id")),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("container", sa.String(8), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column("lodged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lodged_by", sa.String(64), nullable=False),
        sa.Column("model", sa.JSON(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
    )
    op.create_index("ix_screening_export_organisation_id", "screening_export", ["organisation_id"])
    op.create_table(
        "screening_participant",
        sa.Column(
            "export_id", sa.Integer(), sa.ForeignKey("screening_export.id"), primary_key=True
        ),
        sa.Column("number", sa.Integer(), primary_key=True),
        sa.Column("sealed_name", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "screening_message",
        sa.Column(
            "export_id", sa.Integer(), sa.ForeignKey("screening_export.id"), primary_key=True
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("time", sa.String(19), nullable=False),
        sa.Column("participant", sa.Integer()),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("chat", sa.String(300)),
        sa.Column("score", sa.Float()),
        sa.Column("scores", sa.JSON()),
        sa.Column("flagged", sa.JSON()),
        sa.Column("by_context", sa.Boolean(), nullable=False),
        sa.Column("attachment_sha256", sa.String(64), sa.ForeignKey("evidence.sha256")),
    )
    op.create_index("ix_screening_message_score", "screening_message", ["score"])
    op.create_table(
        "screening_attachment",
        sa.Column(
            "export_id", sa.Integer(), sa.ForeignKey("screening_export.id"), primary_key=True
        ),
        sa.Column("member", sa.String(500), primary_key=True),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("evidence.sha256")),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("not_lodged", sa.String(200)),
        sa.Column("phash", sa.String(16)),
        sa.Column("dhash", sa.String(16)),
    )
    op.create_index("ix_screening_attachment_phash", "screening_attachment", ["phash"])
    op.create_table(
        "screening_decision",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("export_id", sa.Integer(), sa.ForeignKey("screening_export.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_screening_decision_export_id", "screening_decision", ["export_id"])


def downgrade() -> None:
    op.drop_table("screening_decision")
    op.drop_table("screening_attachment")
    op.drop_table("screening_message")
    op.drop_table("screening_participant")
    op.drop_table("screening_export")
