"""A sentinel column, so that a step's replies are inserted in one statement

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 14:40:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('pending_replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sentinel', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pending_replies', schema=None) as batch_op:
        batch_op.drop_column('sentinel')
