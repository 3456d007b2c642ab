"""Cron expressions as QStash reads them: five fields, an optional ``CRON_TZ=<zone>`` prefix.

Fields: minute hour day-of-month month day-of-week, each ``*``, a number, a range ``a-b``, a
step ``*/n`` or ``a-b/n``, or a comma list of those; months and weekdays also by name (JAN,
MON); weekday 7 is Sunday like 0. As in classic cron, when both day fields are restricted a day
matching either one fires. Times are evaluated in the zone (UTC by default), on wall-clock time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_NAMES = {
    **{
        m: i
        for i, m in enumerate(
            ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1
        )
    },
    **{d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])},
}
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_SEARCH_YEARS = 5


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    any_day: bool  # day-of-month is "*"
    any_weekday: bool  # day-of-week is "*"
    zone: ZoneInfo | None

    def next_after(self, t: float) -> float:
        """The first firing time strictly after unix time ``t`` (whole minutes)."""
        zone = self.zone or UTC
        local = datetime.fromtimestamp(t, zone).replace(tzinfo=None, second=0, microsecond=0)
        local += timedelta(minutes=1)
        limit = local + timedelta(days=366 * _SEARCH_YEARS)
        while local < limit:
            if local.month not in self.months:
                local = (local.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0)
                continue
            if not self._day_matches(local):
                local = local.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if local.hour not in self.hours:
                local = local.replace(minute=0) + timedelta(hours=1)
                continue
            if local.minute not in self.minutes:
                local += timedelta(minutes=1)
                continue
            fire = local.replace(tzinfo=zone).timestamp()
            if fire > t:
                return fire
            local += timedelta(minutes=1)  # a wall-clock time repeated by a DST change
        raise CronError("the cron expression never fires")

    def _day_matches(self, day: datetime) -> bool:
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return in_month and in_week
        return in_month or in_week


def parse_cron(text: str) -> Cron:
    """Parse ``"*/5 * * * *"`` or ``"CRON_TZ=Europe/Berlin 0 9 * * MON-FRI"``."""
    zone = None
    text = text.strip()
    match = re.match(r"(?:CRON_TZ|TZ)=(\S+)\s+(.*)", text)
    if match:
        try:
            zone = ZoneInfo(match.group(1))
        except (ZoneInfoNotFoundError, ValueError):
            raise CronError(f"unknown time zone {match.group(1)!r}") from None
        text = match.group(2)
    fields = text.split()
    if len(fields) != 5:
        raise CronError(f"a cron expression has 5 fields, got {len(fields)}: {text!r}")
    sets = [_field(f, lo, hi) for f, (lo, hi) in zip(fields, _BOUNDS, strict=True)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return Cron(
        sets[0], sets[1], sets[2], sets[3], weekdays, fields[2] == "*", fields[4] == "*", zone
    )


def _field(text: str, lo: int, hi: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = _number(step_text, 1, 10_000) if step_text else 1
        if base in ("*", "?"):
            start, end = lo, hi
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _number(a, lo, hi), _number(b, lo, hi)
            if start > end:
                raise CronError(f"bad range {base!r}")
        else:
            start = _number(base, lo, hi)
            end = hi if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(text: str, lo: int, hi: int) -> int:
    text = text.upper()
    if text in _NAMES:
        return _NAMES[text]
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise CronError(f"{text!r} is not a number from {lo} to {hi}")
    return int(text)
