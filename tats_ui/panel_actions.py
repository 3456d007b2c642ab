"""The recruiter's actions in a candidate's panel, each with its message beside it: the decision
(with a reason), a re-run (asking first when a person decided), fixing the repository URL or
removing the candidate (both keep the history), and notes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import streamlit as st

from tats_core import statuses
from tats_core.store.models import Candidate, CandidateNote, Evaluation
from tats_core.triage.reviews import Review
from tats_ui.escaping import md
from tats_ui.notices import Notice, show_notice
from tats_ui.timezone import local_time


class PanelActions(Protocol):
    """What the panel's buttons do (the page binds them to the database and the queue)."""

    def save_decision(self, candidate_id: int) -> None: ...

    def rerun(self, candidate_ids: list[int], what: str, replace_reviews: bool) -> None: ...

    def change_url(self, candidate_id: int) -> None: ...

    def remove(self, candidate_id: int) -> None: ...

    def add_note(self, candidate_id: int) -> None: ...


def decision_key(candidate: Candidate) -> str:
    """The decision widget's key: one per candidate and status, so each candidate shows its own
    current decision, and a saved decision shows itself rather than a stale choice."""
    return f"decision_{candidate.id}_{candidate.status}"


def reason_key(candidate: Candidate) -> str:
    return f"reason_{candidate.id}"


def url_key(candidate: Candidate) -> str:
    return f"url_{candidate.id}"


def note_key(candidate: Candidate) -> str:
    return f"note_{candidate.id}"


def decision_form(
    candidate: Candidate,
    evaluation: Evaluation | None,
    actions: PanelActions,
    notice: Notice | None,
) -> None:
    """The decision, preset to the current one; a candidate without one (failed, or not judged
    yet) starts with none chosen rather than a guess."""
    active = candidate.status in statuses.ACTIVE
    current = candidate.status if candidate.status in statuses.DECISIONS else None
    analyzer_decided = evaluation is not None and evaluation.status in statuses.DECISIONS
    with st.form(f"decision_form_{candidate.id}", border=True):
        decision_col, reason_col = st.columns([1, 2])
        decision_col.selectbox(
            "Your decision",
            list(statuses.DECISIONS),
            format_func=statuses.LABELS.__getitem__,
            index=None if current is None else statuses.DECISIONS.index(current),
            placeholder="Choose a decision",
            key=decision_key(candidate),
            disabled=active,
        )
        reason_col.text_area(
            "Why",
            placeholder="Needed when you change the analyzer's decision; kept with your name"
            if analyzer_decided
            else "Needed: the analyzer made no decision here; kept with your name",
            key=reason_key(candidate),
            disabled=active,
            height=80,
        )
        act(
            st.form_submit_button,
            "Save decision",
            ":material/gavel:",
            actions.save_decision,
            candidate,
        )
        show_notice(notice)


def act(
    widget: Callable[..., bool],
    label: str,
    icon: str,
    action: Callable[[int], None],
    candidate: Candidate,
) -> None:
    """A button (or a form's submit) that acts on the candidate: off while it is processed."""
    active = candidate.status in statuses.ACTIVE
    widget(label, icon=icon, disabled=active, on_click=action, args=(candidate.id,))


def rerun_controls(
    candidate: Candidate, review: Review | None, actions: PanelActions, notice: Notice | None
) -> None:
    active = candidate.status in statuses.ACTIVE
    confirming = st.session_state.get("confirm_rerun") == candidate.id
    if review is None or not confirming:
        st.button(
            "Re-run this candidate",
            icon=":material/replay:",
            disabled=active,
            on_click=actions.rerun
            if review is None
            else lambda: st.session_state.update(confirm_rerun=candidate.id),
            args=([candidate.id], "Re-run", False) if review is None else (),
            help="A new attempt: fetch the repository again and judge it again.",
        )
    else:
        st.warning(
            f"**{md(review.actor)} decided {statuses.LABELS[review.decision]}** for this "
            "candidate. A re-run starts a new attempt, and the analyzer's new decision replaces "
            "theirs (it stays in the history).",
            icon=":material/warning:",
        )
        yes_col, no_col = st.columns(2)
        yes_col.button(
            "Re-run and replace",
            type="primary",
            on_click=actions.rerun,
            args=([candidate.id], "Re-run", True),
            width="stretch",
        )
        no_col.button(
            "Keep the decision",
            on_click=lambda: st.session_state.pop("confirm_rerun", None),
            width="stretch",
        )
    show_notice(notice)


def fix_controls(candidate: Candidate, actions: PanelActions, notice: Notice | None) -> None:
    """A wrong repository URL, corrected here (a new attempt on the new URL), or the candidate
    removed from the job; both keep the history."""
    active = candidate.status in statuses.ACTIVE
    with st.expander(
        "Fix the repository URL or remove the candidate",
        icon=":material/build:",
        expanded=notice is not None,
    ):
        st.text_input(
            "Repository URL",
            value=candidate.github_url,
            key=url_key(candidate),
            disabled=active,
            help="A new URL starts a new attempt; the old one stays in the history.",
        )
        confirming = st.session_state.get("confirm_remove") == candidate.id
        with st.container(horizontal=True):
            act(
                st.button,
                "Save the URL and re-run",
                ":material/link:",
                actions.change_url,
                candidate,
            )
            if not confirming:
                st.button(
                    "Remove from the job",
                    icon=":material/person_remove:",
                    disabled=active,
                    on_click=lambda: st.session_state.update(confirm_remove=candidate.id),
                )
        if confirming:
            st.warning(
                "Remove this candidate from the job's table, counts and exports? Its history "
                "is kept, and re-importing its repository or email brings it back.",
                icon=":material/person_remove:",
            )
            with st.container(horizontal=True):
                st.button("Remove", type="primary", on_click=actions.remove, args=(candidate.id,))
                st.button("Keep", on_click=lambda: st.session_state.pop("confirm_remove", None))
        show_notice(notice)


def notes_section(
    candidate: Candidate, notes: list[CandidateNote], actions: PanelActions, notice: Notice | None
) -> None:
    """Notes that are not decisions: who wrote what, when (in the viewer's zone)."""
    st.markdown("#### Notes")
    for note in notes:
        with st.container(border=True):
            st.caption(f"**{md(note.author)}** · {md(local_time(note.created_at))}")
            st.markdown(md(note.body))
    with st.form(f"note_form_{candidate.id}", border=False):
        st.text_area(
            "Add a note",
            key=note_key(candidate),
            placeholder="Anything worth remembering that is not a decision; kept with your name",
            height=80,
        )
        st.form_submit_button(
            "Add note", icon=":material/note_add:", on_click=actions.add_note, args=(candidate.id,)
        )
        show_notice(notice)
