"""Early warning: trained models with their evaluation, and each run's scores
(openwitness.patterns).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pattern_model",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_by", sa.String(64), nullable=False),
        sa.Column("records_to", sa.Date(), nullable=False),
        sa.Column("records_generation", sa.String(100), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("software", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("evaluation", sa.JSON(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.Column("model_sha256", sa.String(64), nullable=False),
    )
    op.create_table(
        "pattern_run",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.Integer(), sa.ForeignKey("pattern_model.id"), nullable=False),
        sa.Column("records_generation", sa.String(100), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
    )
    op.create_index("ix_pattern_run_model_id", "pattern_run", ["model_id"])
    op.create_table(
        "pattern_score",
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("pattern_run.id"), primary_key=True),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("officer.id"), primary_key=True),
        sa.Column("score", sa.Float()),
        sa.Column("flag_rank", sa.Integer()),
        sa.Column("percentiles", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON()),
    )
    op.create_index("ix_pattern_score_flag_rank", "pattern_score", ["run_id", "flag_rank"])


def downgrade() -> None:
    op.drop_table("pattern_score")
    op.drop_table("pattern_run")
    op.drop_table("pattern_model")
