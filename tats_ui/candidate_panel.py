"""One candidate's evaluation, opened from the triage table: who it is and where its code is,
what to know before deciding, the recruiter's actions (``panel_actions``), notes, the
evaluation, its test runs (``tests_view``) and cited code, the signals and the history."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from tats_core import statuses
from tats_core.judging.analysis import INJECTION_FLAG
from tats_core.judging.overlap import Overlap
from tats_core.judging.signals import describe_stored
from tats_core.store.models import Candidate, CandidateNote, Evaluation, StatusEvent
from tats_core.triage.evidence import CodeLinks, Excerpt
from tats_core.triage.reviews import Review
from tats_core.triage.verdicts import VerdictCheck
from tats_core.wording import plural
from tats_ui import panel_actions, selection
from tats_ui.escaping import md
from tats_ui.evidence_view import bullets, cited_code, evaluation_sections
from tats_ui.labels import analyzer_label
from tats_ui.palette import chip
from tats_ui.scroll import anchor_for
from tats_ui.tests_view import test_runs_section
from tats_ui.timezone import local_time, viewer_zone


@dataclass
class PanelData:
    """What the page read for one candidate."""

    candidate: Candidate
    evaluation: Evaluation | None
    events: list[StatusEvent]
    review: Review | None
    shared: list[Overlap] = field(default_factory=list)
    excerpts: list[Excerpt] = field(default_factory=list)
    notes: list[CandidateNote] = field(default_factory=list)
    check: VerdictCheck = field(default_factory=VerdictCheck)

    @property
    def links(self) -> CodeLinks:
        return CodeLinks.of(self.candidate, self.evaluation)


def candidate_panel(
    data: PanelData, actions: panel_actions.PanelActions, notices: dict[str, tuple[str, str]]
) -> None:
    """One candidate: status, the human and analyzer decisions, warnings, actions (with their
    messages beside them), notes, evaluation, signals and history."""
    candidate, evaluation = data.candidate, data.evaluation
    st.divider()
    _panel_heading(candidate, evaluation, data.review)
    _warnings(candidate, evaluation, data.shared)
    # Full width, one block under another: the layout holds from 800 px up, nothing is cut off.
    st.markdown("#### Actions")
    panel_actions.decision_form(candidate, evaluation, actions, notices.get("decision"))
    panel_actions.rerun_controls(candidate, data.review, actions, notices.get("rerun"))
    panel_actions.fix_controls(candidate, actions, notices.get("fix"))
    panel_actions.notes_section(candidate, data.notes, actions, notices.get("note"))
    if evaluation and evaluation.status in statuses.DECISIONS:
        verdict_notes(data.check)
        evaluation_sections(evaluation, data.links, data.check.weights)
        test_runs_section(evaluation, data.links)
        cited_code(data.excerpts, data.links)
    lines = describe_stored(dict(evaluation.signals) if evaluation else {})
    if lines:
        st.markdown("#### Signals\n" + bullets(lines, data.links))
    history_table(data.events)


def _panel_heading(
    candidate: Candidate, evaluation: Evaluation | None, review: Review | None
) -> None:
    """Name and Close, the facts line (status, who decided, score, attempt, analyzer), the
    repository and the human decision beside the analyzer's."""
    # A horizontal container, not columns: the Close button keeps its width at 800 px.
    with st.container(horizontal=True, vertical_alignment="center"):
        st.subheader(
            candidate.name or candidate.repo_full_name,
            anchor=anchor_for(candidate.id),
            width="stretch",
        )
        st.button(
            "Close",
            icon=":material/close:",
            on_click=selection.close_candidate,
            args=(candidate.id,),
            width="content",
        )
    facts = [chip(candidate.status)]
    if review is not None:
        facts.append(f"decided by <b>{html.escape(review.actor)}</b>")
    if evaluation and evaluation.score is not None:
        facts.append(f"score <b>{evaluation.score}</b>")
    facts.append(f"attempt {candidate.attempt}")
    if evaluation and evaluation.analyzer:
        model = f" · {evaluation.model}" if evaluation.model else ""
        facts.append(html.escape(analyzer_label(evaluation.analyzer) + model))
    facts.append(f"candidate {candidate.id}")
    st.markdown(" · ".join(facts), unsafe_allow_html=True)
    repo = candidate.repo_full_name
    email = f" · {md(candidate.email)}" if candidate.email else ""
    st.markdown(f"[{md(repo)}](https://github.com/{repo}){email}")
    line = _decision_line(evaluation, review)
    if line:
        with st.container(border=True):
            st.markdown(line, unsafe_allow_html=True)


def _decision_line(evaluation: Evaluation | None, review: Review | None) -> str:
    """The human decision (who, when, why) beside the analyzer's own."""
    if review is None:
        return ""
    said = (
        chip(review.analyzer_decision)
        if review.analyzer_decision
        else html.escape(statuses.LABELS.get(evaluation.status, "") if evaluation else "none")
    )
    verb = "changed the decision" if review.overrides else "kept the analyzer's decision"
    return (
        f"**{md(review.actor)}** {verb} on {md(local_time(review.at))}: "
        f"{chip(review.decision)} · analyzer said {said}  \n"
        f"_Why:_ {md(review.reason)}"
    )


def shared_code_notice(overlaps: list[Overlap]) -> None:
    """Other submissions of the job holding the same files as this one, with the files."""
    for overlap in overlaps:
        rows = "\n".join(
            f"- {md(mine)}" + ("" if mine == theirs else f" (theirs: {md(theirs)})")
            for mine, theirs in overlap.pairs[:20]
        )
        more = f"\n- … and {len(overlap.pairs) - 20} more" if len(overlap.pairs) > 20 else ""
        st.warning(
            f"**Shares {plural(len(overlap.pairs), 'file')} with candidate {overlap.other}** "
            f"({overlap.shared_bytes:,} bytes of identical code; generator and starter files "
            f"not counted). TATS capped the decision at Needs review; compare them yourself.\n"
            f"{rows}{more}",
            icon=":material/content_copy:",
        )


def _warnings(candidate: Candidate, evaluation: Evaluation | None, shared: list[Overlap]) -> None:
    """What the recruiter must know before deciding: injection, shared code, failure, progress."""
    if evaluation and INJECTION_FLAG in (evaluation.flags or []):
        st.error(
            "**Possible prompt injection.** This repository contains text addressed to the AI "
            "reviewer (such as 'ignore previous instructions'). TATS treated it as data and "
            "capped the decision at Needs review; read the repository yourself.",
            icon=":material/gpp_maybe:",
        )
    shared_code_notice(shared)
    if candidate.status in statuses.FAILURES:
        reason = (evaluation.error if evaluation else None) or candidate.last_error
        st.warning(
            f"**{statuses.LABELS[candidate.status]}.** {md(reason or 'No reason recorded.')}",
            icon=":material/error:",
        )
    if candidate.status in statuses.ACTIVE:
        st.info("Still being processed; this view updates itself.", icon=":material/hourglass_top:")


def verdict_notes(check: VerdictCheck) -> None:
    """Whether this verdict would come out the same today: reused, or judged under a rubric the
    job no longer has."""
    if check.reused is not None:
        st.info(
            f"**Verdict reused.** The same commit, under the same rubric and analyzer, was judged "
            f"for candidate {check.reused.candidate_id} (attempt {check.reused.attempt}, "
            f"{md(local_time(check.reused.evaluated_at))}): this is that verdict, with no new "
            "model call and no new test run.",
            icon=":material/repeat:",
        )
    if check.rubric_changed:
        st.warning(
            "**Judged under an earlier rubric.** The job's assignment, what good looks like or "
            "its criteria changed since; re-judge it from the Jobs page to apply them (this "
            "verdict stays in the history).",
            icon=":material/history:",
        )


def history_table(events: list[StatusEvent]) -> None:
    _, zone = viewer_zone()
    st.markdown("#### History")
    if not events:
        st.caption("No status changes recorded yet.")
        return
    # A static table, so long reasons wrap; times in the viewer's zone, named in the header.
    st.table(
        pd.DataFrame(
            {
                f"When ({zone})": local_time(event.created_at, "%Y-%m-%d %H:%M:%S").rsplit(" (", 1)[
                    0
                ],
                "Status": statuses.LABELS.get(event.to_status, event.to_status),
                "By": md(event.actor),  # st.table renders markdown
                "Why": md(("Decision: " if event.override else "") + (event.reason or "")),
            }
            for event in reversed(events)
        ).set_index(f"When ({zone})")
    )
