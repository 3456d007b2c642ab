"""Queue: what the background queue is doing, for the person who runs TATS — work in flight per
job, the dead-letter queue (with Retry / Delete), the reconcile schedule and recent events.

It reads the QStash API through ``tats_core.processing.queue_admin``, so it shows Upstash in
production and the local queue under ``tats dev`` alike; it never shows a token or signing key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from tats_core.errors import QueueError
from tats_core.processing.queue_admin import (
    DeadLetter,
    QueueEvent,
    ScheduleInfo,
    in_flight,
)
from tats_core.store.db import transaction
from tats_core.triage.candidates import message_owners
from tats_core.wording import plural
from tats_ui.deps import get_deps
from tats_ui.escaping import md
from tats_ui.notices import show_notice
from tats_ui.problems_banner import problems_banner
from tats_ui.queueing import capitalised
from tats_ui.timezone import local_time, viewer_zone

EVENTS_READ = 500  # enough to tell which candidate messages are still open at the queue
EVENTS_SHOWN = 50
REFRESH_SECONDS = 5
ACTIONS = (("retry", "Retry", ":material/replay:"), ("delete", "Delete", ":material/delete:"))

deps = get_deps()
admin = deps.queue_admin
st.title("Queue")
st.caption(
    "Candidates travel through the queue (QStash) to the worker. Messages that failed every "
    "retry land in the dead-letter queue; a schedule runs reconcile every minute so that no "
    "candidate waits on a lost publish."
)


def _act(verb: str, dlq_ids: list[str]) -> None:
    try:
        done = admin.retry(dlq_ids) if verb == "retry" else admin.delete(dlq_ids)
    except QueueError as exc:
        st.session_state["queue_notice"] = ("error", f"{capitalised(exc.message)}.")
        return
    what = "Sent again" if verb == "retry" else "Deleted"
    st.session_state["queue_notice"] = ("success", f"{what}: {plural(done, 'message')}.")
    st.session_state["dlq_selected"] = []


def _action_buttons(
    places: tuple[DeltaGenerator, DeltaGenerator],
    dlq_ids: list[str],
    label_suffix: str = "",
    key: str | None = None,
) -> None:
    """Retry and Delete for these dead letters, in the two places given."""
    for place, (verb, label, icon) in zip(places, ACTIONS, strict=True):
        place.button(
            label + label_suffix,
            key=f"{verb}_{key}" if key else None,
            icon=icon,
            disabled=not dlq_ids,
            on_click=_act,
            args=(verb, dlq_ids),
        )


def _create_schedule() -> None:
    try:
        admin.ensure_reconcile_schedule()
    except QueueError as exc:
        st.session_state["queue_notice"] = ("error", f"{capitalised(exc.message)}.")
    else:
        st.session_state["queue_notice"] = ("success", "Created the reconcile schedule.")


def _when(at: datetime | None) -> str:
    """In the viewer's zone, named, as on the triage page."""
    return local_time(at, "%Y-%m-%d %H:%M:%S") if at else "never"


def _http(status: int | None) -> str:
    return f"HTTP {status}" if status else "no response"


def _who(owners: dict[str, Any], event: QueueEvent) -> tuple[str, str]:
    """The candidate and job an event's message was about (the reconcile schedule's own)."""
    if event.url == admin.reconcile_url:
        return "(reconcile schedule)", ""
    owner = owners.get(event.message_id)
    return (owner.name or f"candidate {owner.candidate_id}", owner.job_title) if owner else ("", "")


def in_flight_section(events: list[QueueEvent]) -> None:
    st.subheader("In flight")
    with transaction(deps.session_factory) as session:
        jobs = in_flight(session, events)
    if not jobs:
        st.info(
            "Nothing is in flight: every candidate has a final status.", icon=":material/done_all:"
        )
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Job": j.title,
                "Waiting to publish": j.unpublished,
                "Queued": j.queued,
                "Processing": j.processing,
                "Open at the queue": j.at_queue,
            }
            for j in jobs
        ),
        hide_index=True,
    )


def dead_letter_section(letters: list[DeadLetter]) -> None:
    st.subheader("Dead-letter queue")
    if not letters:
        st.success("The dead-letter queue is empty.", icon=":material/inbox:")
        return
    st.caption(
        f"{plural(len(letters), 'message')} failed every retry. Retry sends one again "
        "(a new message); Delete drops it. The candidate keeps its recorded status."
    )
    by_id = {letter.dlq_id: letter for letter in letters}

    def label(dlq_id: str) -> str:
        letter = by_id[dlq_id]
        return letter.candidate_name or f"message {letter.message_id}"

    selected = st.multiselect("Select messages", list(by_id), format_func=label, key="dlq_selected")
    left, right, _ = st.columns([1, 1, 4])
    _action_buttons((left, right), list(selected), " selected")
    for letter in letters:
        _dead_letter(letter)


def _dead_letter(letter: DeadLetter) -> None:
    with st.container(border=True):
        info, actions = st.columns([5, 1])
        if letter.candidate_id is None:
            who = "Not a candidate message"
        elif letter.candidate_name is None:
            who = f"Candidate {letter.candidate_id} (no longer in the database)"
        else:
            who = f"**{md(letter.candidate_name)}** · {md(letter.job_title)}"
        info.markdown(who)
        info.caption(
            f"Last response: {_http(letter.response_status)} · failed message "
            f"{md(letter.message_id)} · to {md(letter.url)} · "
            f"created {_when(letter.created_at)}"
        )
        if letter.response_body:
            info.code(letter.response_body, language=None, wrap_lines=True)
        _action_buttons((actions, actions), [letter.dlq_id], key=letter.dlq_id)


def schedule_section(schedule: ScheduleInfo | None, events: list[QueueEvent]) -> None:
    st.subheader("Reconcile schedule")
    if schedule is None:
        st.warning(
            "There is no reconcile schedule: candidates left pending by a failed publish wait "
            "until someone runs `tats reconcile`. Create it here or with "
            "`tats reconcile --schedule`.",
            icon=":material/schedule:",
        )
        st.button("Create the schedule", icon=":material/add_alarm:", on_click=_create_schedule)
        return
    last = admin.last_reconcile_event(events)
    last_run = schedule.last_run_at or (last.at if last else None)
    st.markdown(
        f"Calls `{schedule.destination}` on cron `{schedule.cron}`"
        + (" — **paused**" if schedule.paused else "")
        + f"  \nLast run: {_when(last_run)} · next run: {_when(schedule.next_run_at)}"
    )
    if last is not None:
        st.caption(f"Newest event for it: {last.state} at {_when(last.at)}")
    if schedule.error:
        st.warning(f"The last run failed: {schedule.error[:300]}")


def events_section(events: list[QueueEvent]) -> None:
    """The newest events, each naming the candidate and job its message was about."""
    st.subheader("Recent events")
    if not events:
        st.info("The queue has no events yet.", icon=":material/history:")
        return
    shown = events[:EVENTS_SHOWN]
    with transaction(deps.session_factory) as session:
        owners = message_owners(session, [e.message_id for e in shown])
    zone, zone_name = viewer_zone()
    time_column = f"Time ({zone_name})"
    st.dataframe(
        pd.DataFrame(
            {
                # Naive, already in the viewer's zone, which the header names.
                time_column: e.at.astimezone(zone).replace(tzinfo=None) if e.at else None,
                "State": e.state,
                "Candidate": _who(owners, e)[0],
                "Job": _who(owners, e)[1],
                "HTTP status": str(e.response_status) if e.response_status else "",
                "Error": (e.error or "")[:200],
                "Message": e.message_id,
                "Destination": e.url,
            }
            for e in shown
        ),
        hide_index=True,
        column_config={time_column: st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss")},
    )


@st.fragment(run_every=REFRESH_SECONDS)
def queue_view() -> None:
    """Everything the queue shows, read again every few seconds without reloading the page."""
    st.caption(f":material/autorenew: Updates itself every {REFRESH_SECONDS} s.")
    problems_banner(deps)
    show_notice(st.session_state.pop("queue_notice", None))
    try:
        events = admin.recent_events(limit=EVENTS_READ)
        schedule = admin.reconcile_schedule()
        with transaction(deps.session_factory) as session:
            letters = admin.dead_letters(session)
    except QueueError as exc:
        st.error(
            f"{capitalised(exc.message)}. The queue's dead letters, schedule and "
            f"events cannot be shown; check QSTASH_URL ({deps.settings.qstash_url}) and "
            "QSTASH_TOKEN. Candidates are safe in the database and are published once the "
            "queue answers.",
            icon=":material/cloud_off:",
        )
        in_flight_section([])
        return
    in_flight_section(events)
    dead_letter_section(letters)
    schedule_section(schedule, events)
    events_section(events)


queue_view()
