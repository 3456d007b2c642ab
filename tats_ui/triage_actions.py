"""What the triage page's buttons do, bound to one job: decisions (one or several), re-runs,
notes, a corrected repository URL, removal and its undo, comparisons. Each runs in its own
transaction and leaves its message next to the control that caused it (``notify``)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from tats_core import statuses
from tats_core.deps import Deps
from tats_core.errors import InputError
from tats_core.store.db import transaction
from tats_core.triage.candidates import get_candidate, job_failures, override_decision, rerun
from tats_core.triage.comparison import MAX_COMPARED
from tats_core.triage.corrections import change_repository, remove_candidate, restore_candidate
from tats_core.triage.decisions import decide_many
from tats_core.triage.notes import add_note
from tats_core.wording import plural
from tats_ui import panel_actions, selection
from tats_ui.auth import actor
from tats_ui.notices import show_notice
from tats_ui.queueing import enqueue, queue_down_message
from tats_ui.triage_links import COMPARE
from tats_ui.triage_view import CONFIRM_FAILED

BULK_DECISION, BULK_REASON = "bulk_decision", "bulk_reason"
REMOVED = "removed_candidate"  # (id, name) of the candidate just removed, for Undo


def notify(kind: str, message: str, where: str = "overview") -> None:
    """A message shown next to the control that caused it (``where``: overview, decision,
    rerun, fix, note, bulk), on the next run only."""
    st.session_state.setdefault("notices", {})[where] = (kind, message)


class TriageActions:
    """The page's callbacks for one job (``panel_actions.PanelActions`` among them)."""

    def __init__(self, deps: Deps, job_id: int) -> None:
        self.deps, self.job_id = deps, job_id

    def _queue(self, count: int, what: str, where: str) -> None:
        report = enqueue(self.job_id)
        if report.error:
            notify(
                "warning", f"{what}: {count:,} back to pending. {queue_down_message(report)}", where
            )
        else:
            notify("success", f"{what}: {plural(count, 'candidate')} queued again.", where)

    def rerun(self, candidate_ids: list[int], what: str, replace_reviews: bool = False) -> None:
        self._rerun(candidate_ids, what, replace_reviews, "rerun")

    def _rerun(self, ids: list[int], what: str, replace_reviews: bool, where: str) -> None:
        st.session_state.pop("confirm_rerun", None)
        with transaction(self.deps.session_factory) as session:
            count = rerun(session, ids, actor=actor(), replace_reviews=replace_reviews)
        if not count:
            notify(
                "info",
                "Nothing to re-run: those candidates are queued, running, or decided by a "
                "recruiter.",
                where,
            )
            return
        self._queue(count, what, where)

    def rerun_failed(self, include_permanent: bool) -> None:
        st.session_state.pop(CONFIRM_FAILED, None)
        with transaction(self.deps.session_factory) as session:
            failures = job_failures(session, self.job_id)
        ids = failures.retryable + (failures.permanent if include_permanent else [])
        self._rerun(ids, "Re-run of failed candidates", False, "overview")

    def save_decision(self, candidate_id: int) -> None:
        with transaction(self.deps.session_factory) as session:
            candidate = get_candidate(session, candidate_id)
            decision = st.session_state.get(panel_actions.decision_key(candidate))
            reason_key = panel_actions.reason_key(candidate)
            if decision is None:
                notify("error", "Not saved: choose a decision first.", "decision")
                return
            try:
                override_decision(
                    session,
                    candidate_id,
                    decision,
                    actor=actor(),
                    reason=st.session_state.get(reason_key) or "",
                )
            except InputError as exc:
                notify("error", f"Not saved: {exc}.", "decision")  # the form keeps what was typed
                return
        st.session_state[reason_key] = ""
        notify("success", f"Decision saved: {statuses.LABELS[decision]}.", "decision")

    def decide_selected(self, candidate_ids: list[int]) -> None:
        state = st.session_state
        decision = state.get(BULK_DECISION)
        if decision is None:
            notify("error", "Not saved: choose a decision first.", "bulk")
            return
        try:
            with transaction(self.deps.session_factory) as session:
                result = decide_many(
                    session,
                    candidate_ids,
                    decision,
                    actor=actor(),
                    reason=state.get(BULK_REASON) or "",
                )
        except InputError as exc:
            notify("error", f"Not saved: {exc}.", "bulk")
            return
        state[BULK_REASON] = ""
        skipped = "".join(
            f" Left out: candidate {cid} ({why})." for cid, why in result.skipped.items()
        )
        label = statuses.LABELS[decision]
        notify(
            "success", f"{label} for {plural(len(result.decided), 'candidate')}.{skipped}", "bulk"
        )

    def add_note(self, candidate_id: int) -> None:
        key = f"note_{candidate_id}"
        try:
            with transaction(self.deps.session_factory) as session:
                add_note(session, candidate_id, st.session_state.get(key) or "", author=actor())
        except InputError as exc:
            notify("error", f"Not added: {exc}.", "note")
            return
        st.session_state[key] = ""
        notify("success", "Note added.", "note")

    def change_url(self, candidate_id: int) -> None:
        url = st.session_state.get(f"url_{candidate_id}") or ""
        try:
            with transaction(self.deps.session_factory) as session:
                change_repository(session, candidate_id, url, actor=actor())
        except InputError as exc:
            notify("error", f"Not changed: {exc}.", "fix")
            return
        self._queue(1, "Repository URL changed", "fix")

    def remove(self, candidate_id: int) -> None:
        st.session_state.pop("confirm_remove", None)
        try:
            with transaction(self.deps.session_factory) as session:
                candidate = remove_candidate(session, candidate_id, actor=actor())
                name = candidate.name or candidate.repo_full_name
        except InputError as exc:
            notify("error", f"Not removed: {exc}.", "fix")
            return
        selection.close_candidate(candidate_id)
        st.session_state[COMPARE] = [
            i for i in st.session_state.get(COMPARE, []) if i != candidate_id
        ]
        st.session_state[REMOVED] = (candidate_id, name)

    def undo_remove(self) -> None:
        candidate_id, name = st.session_state.pop(REMOVED)
        with transaction(self.deps.session_factory) as session:
            restore_candidate(session, candidate_id)
        notify("success", f"{name} is back in the job.", "candidates")

    def compare_selected(self) -> None:
        st.session_state[COMPARE] = selection.selected()[:MAX_COMPARED]

    def close_comparison(self) -> None:
        st.session_state[COMPARE] = []


def bulk_form(
    on_apply: Callable[[list[int]], None], notice: tuple[str, str] | None
) -> Callable[[list[int]], None]:
    """The selection's decision form, bound to its callback and message."""

    def draw(candidate_ids: list[int]) -> None:
        with st.form("bulk_decision_form", border=False):
            st.markdown(
                f"**One decision for the {plural(len(candidate_ids), 'selected candidate')}**"
            )
            decision_col, reason_col = st.columns([1, 2])
            decision_col.selectbox(
                "Decision",
                list(statuses.DECISIONS),
                format_func=statuses.LABELS.__getitem__,
                index=None,
                placeholder="Choose a decision",
                key=BULK_DECISION,
            )
            reason_col.text_area(
                "Why (one reason, kept with each)",
                key=BULK_REASON,
                placeholder="Needed when it changes the analyzer's decision for any of them",
                height=80,
            )
            st.form_submit_button(
                f"Apply to {plural(len(candidate_ids), 'candidate')}",
                icon=":material/gavel:",
                on_click=on_apply,
                args=(candidate_ids,),
            )
            show_notice(notice)

    return draw
