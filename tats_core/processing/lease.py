"""Claims are leases: the one rule for when a ``processing`` candidate may be taken over.

A delivery that claims a candidate holds it until ``lease_expires_at``, a short lease (a minute
by default, ``TATS_CLAIM_LEASE``) that the working process renews every third of its length
while it works. A worker killed mid-candidate stops renewing; once its lease lapses, the queue's
next retry of that candidate (answered "busy" until then, with a ``Retry-After`` that lands just
after the lapse) takes it over, and so does ``reconcile``. A slow candidate whose worker is alive
is never taken over, however long it takes (issue #11).

The claim step, the failure callback and ``reconcile`` all ask this module, and nothing else,
whether a lease is live.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import BindParameter, Table, and_, or_

from tats_core import statuses
from tats_core.store.models import Candidate

DEFAULT_LEASE = timedelta(seconds=60)
# A busy answer asks the queue to come back this long after the lease would lapse, so the
# retry finds it lapsed despite small clock differences between hosts.
TAKEOVER_MARGIN_S = 1.0

CANDIDATE = cast(Table, Candidate.__table__)


def expiry(now: datetime, lease: timedelta) -> datetime:
    """When a lease taken or renewed at ``now`` lapses."""
    return now + lease


def renew_every(lease: timedelta) -> float:
    """Seconds between renewals: three chances before the lease would lapse."""
    return lease.total_seconds() / 3


def is_live(lease_expires_at: datetime | None, now: datetime) -> bool:
    """A claim protects its candidate while its lease has not lapsed."""
    return lease_expires_at is not None and lease_expires_at > now


def lapsed(now: datetime | BindParameter[Any]) -> Any:
    """SQL condition: the candidate is ``processing`` and nobody holds a live lease on it
    (a dead worker's lease ran out, or the claim was released after a transient error).
    ``now`` may be a bound parameter, for a statement built once."""
    return and_(
        CANDIDATE.c.status == statuses.PROCESSING,
        or_(CANDIDATE.c.lease_expires_at.is_(None), CANDIDATE.c.lease_expires_at <= now),
    )


def seconds_until_lapse(lease_expires_at: datetime | None, now: datetime) -> float:
    """How long a duplicate delivery should wait before trying again (whole seconds, >= 1)."""
    if lease_expires_at is None:
        return 1.0
    remaining = (lease_expires_at - now).total_seconds()
    return float(max(1, math.ceil(remaining + TAKEOVER_MARGIN_S)))
