"""tickets, closed orders and the event backbone tables

Revision ID: 0001
Revises:
Create Date: 2026-11-24 20:44:17.009884

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('closed_orders',
    sa.Column('order_id', sa.Uuid(), nullable=False),
    sa.Column('ticket_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_closed_orders'))
    )
    op.create_index(op.f('ix_closed_orders_ticket_id'), 'closed_orders', ['ticket_id'], unique=False)
    op.create_table('dead_letters',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=True),
    sa.Column('event_type', sa.String(length=100), nullable=True),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('replayed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('replay_count', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dead_letters'))
    )
    op.create_index('uq_dead_letters_open_event', 'dead_letters', ['event_id'], unique=True, postgresql_where=sa.text('replayed_at IS NULL'))
    op.create_table('outbox_events',
    sa.Column('sequence', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('aggregate_id', sa.Uuid(), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('sequence', name=op.f('pk_outbox_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_events_event_id'))
    )
    op.create_index(op.f('ix_outbox_events_aggregate_id'), 'outbox_events', ['aggregate_id'], unique=False)
    op.create_index('ix_outbox_events_pending', 'outbox_events', ['sequence'], unique=False, postgresql_where=sa.text('published_at IS NULL'))
    op.create_table('processed_events',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_processed_events'))
    )
    op.create_table('tickets',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('seller_id', sa.Uuid(), nullable=False),
    sa.Column('order_id', sa.Uuid(), nullable=True),
    sa.Column('sold', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('NOT sold OR order_id IS NOT NULL', name=op.f('ck_tickets_sold_has_order')),
    sa.CheckConstraint('price_cents > 0 AND price_cents <= 100000000', name=op.f('ck_tickets_price_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_tickets_version_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets'))
    )
    op.create_index('ix_tickets_available_newest', 'tickets', [sa.literal_column('created_at DESC'), sa.literal_column('id DESC')], unique=False, postgresql_where=sa.text('order_id IS NULL AND NOT sold'))
    op.create_index('ix_tickets_seller_newest', 'tickets', ['seller_id', sa.literal_column('created_at DESC'), sa.literal_column('id DESC')], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_tickets_seller_newest', table_name='tickets')
    op.drop_index('ix_tickets_available_newest', table_name='tickets', postgresql_where=sa.text('order_id IS NULL AND NOT sold'))
    op.drop_table('tickets')
    op.drop_table('processed_events')
    op.drop_index('ix_outbox_events_pending', table_name='outbox_events', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_index(op.f('ix_outbox_events_aggregate_id'), table_name='outbox_events')
    op.drop_table('outbox_events')
    op.drop_index('uq_dead_letters_open_event', table_name='dead_letters', postgresql_where=sa.text('replayed_at IS NULL'))
    op.drop_table('dead_letters')
    op.drop_index(op.f('ix_closed_orders_ticket_id'), table_name='closed_orders')
    op.drop_table('closed_orders')
