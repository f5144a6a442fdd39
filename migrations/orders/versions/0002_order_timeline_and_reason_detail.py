"""order timeline and reason detail

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 21:24:27.716745

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('order_steps',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('step', sa.String(length=40), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.CheckConstraint("outcome IN ('ok', 'failed', 'skipped', 'compensated')", name=op.f('ck_order_steps_outcome_known')),
    sa.CheckConstraint('attempt >= 1', name=op.f('ck_order_steps_attempt_positive')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_steps_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_steps'))
    )
    op.create_index('ix_order_steps_order', 'order_steps', ['order_id', 'id'], unique=False)
    op.add_column('orders', sa.Column('reason_detail', sa.Text(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column('orders', 'reason_detail')
    op.drop_index('ix_order_steps_order', table_name='order_steps')
    op.drop_table('order_steps')
