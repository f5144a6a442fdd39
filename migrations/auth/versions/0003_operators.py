"""operators: users granted the operator role (python -m api.auth.operators)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 09:50:00

"""

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "operators",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_operators_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_operators")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("operators")
