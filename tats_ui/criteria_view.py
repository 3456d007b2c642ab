"""The Jobs page's criteria for one job: what each evaluation scores, with weights, edited in a
form; and re-judging, on request, the candidates judged under an earlier rubric (their earlier
verdicts stay in each candidate's history)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from tats_core.deps import Deps
from tats_core.errors import InputError
from tats_core.judging.criteria import (
    DEFAULT_CRITERIA,
    MAX_CRITERIA,
    MEASURE_MEANINGS,
    CriterionSpec,
    Measure,
    criteria_json,
)
from tats_core.store.db import transaction
from tats_core.store.models import Job
from tats_core.triage import jobs
from tats_core.triage.candidates import rerun
from tats_core.wording import plural
from tats_ui.auth import actor
from tats_ui.queueing import enqueue, queue_down_message

Notify = Callable[[str, str, str], None]
BLANK_ROWS = 2  # empty rows under the criteria, for new ones
MEASURES = [str(m) for m in Measure]
REJUDGED = "re-judged on request: the job's rubric changed"


def criteria_section(deps: Deps, job: Job, notify: Notify, show: Callable[[str], None]) -> None:
    """The form, its message, and the re-judge offer when verdicts predate the rubric."""
    st.markdown("#### Criteria")
    st.caption(
        "Each evaluation scores every criterion with its evidence; the weights set the score. "
        "A criterion measures one of TATS's checks, or is a 'judgement' in your words that only "
        "the Cohere analyzer can assess. Changing them (or the assignment) re-judges nothing "
        "until you ask."
    )
    specs = jobs.criteria_of(job)
    with st.form(f"criteria_form_{job.id}"):
        rows = [_row(job.id, i, spec) for i, spec in enumerate(specs)]
        rows += [_row(job.id, len(specs) + i, None) for i in range(BLANK_ROWS)]
        saved = st.form_submit_button("Save criteria", icon=":material/save:")
    if saved:
        _save(deps, job.id, [r for r in rows if r["name"].strip()], notify)
    st.button(
        "Use the default criteria",
        key=f"criteria_default_{job.id}",
        on_click=_reset,
        args=(deps, job.id, notify),
        disabled=specs == DEFAULT_CRITERIA,
    )
    show("criteria")
    _rejudge_offer(deps, job, notify)
    show("rejudge")


def _row(job_id: int, index: int, spec: CriterionSpec | None) -> dict[str, Any]:
    name_col, weight_col, measure_col, text_col = st.columns([3, 1, 2, 4])
    key = f"criterion_{job_id}_{index}"
    measure = str(spec.measure) if spec else str(Measure.JUDGEMENT)
    return {
        "name": name_col.text_input(
            "Criterion", value=spec.name if spec else "", key=f"{key}_name"
        ),
        "weight": weight_col.number_input(
            "Weight", 0, 100, value=spec.weight if spec else 10, step=5, key=f"{key}_weight"
        ),
        "measure": measure_col.selectbox(
            "Measures",
            MEASURES,
            index=MEASURES.index(measure),
            key=f"{key}_measure",
            help="\n".join(f"{m}: {MEASURE_MEANINGS[Measure(m)]}" for m in MEASURES),
        ),
        "description": text_col.text_input(
            "What to look for",
            value=spec.description if spec else "",
            key=f"{key}_description",
            placeholder="Required for a judgement: what a model should look for",
        ),
    }


def _save(deps: Deps, job_id: int, rows: list[dict[str, Any]], notify: Notify) -> None:
    if len(rows) > MAX_CRITERIA:
        notify("criteria", "error", f"Not saved: at most {MAX_CRITERIA} criteria.")
        return
    try:
        with transaction(deps.session_factory) as session:
            jobs.set_criteria(session, job_id, rows)
    except InputError as exc:
        notify("criteria", "error", f"Not saved: {exc}.")
    else:
        notify("criteria", "success", f"Saved {plural(len(rows), 'criterion', 'criteria')}.")
    st.rerun()


def _reset(deps: Deps, job_id: int, notify: Notify) -> None:
    with transaction(deps.session_factory) as session:
        jobs.set_criteria(session, job_id, criteria_json(DEFAULT_CRITERIA))
    notify("criteria", "success", "The job uses the default criteria again.")


def _rejudge_offer(deps: Deps, job: Job, notify: Notify) -> None:
    with transaction(deps.session_factory) as session:
        stale = jobs.stale_candidates(session, job.id)
    if not stale:
        return
    st.info(
        f"{plural(len(stale), 'candidate')} of this job {'was' if len(stale) == 1 else 'were'} "
        "judged under an earlier rubric (the assignment, what good looks like or the criteria "
        "changed since).",
        icon=":material/history:",
    )
    st.button(
        f"Re-judge {plural(len(stale), 'candidate')}",
        key=f"rejudge_{job.id}",
        icon=":material/replay:",
        on_click=_rejudge,
        args=(deps, job.id, stale, notify),
        help="A new attempt each: their earlier verdicts stay in their history. Candidates a "
        "recruiter decided keep that decision.",
    )


def _rejudge(deps: Deps, job_id: int, candidate_ids: list[int], notify: Notify) -> None:
    with transaction(deps.session_factory) as session:
        count = rerun(session, candidate_ids, actor=actor(), reason=REJUDGED)
    if not count:
        notify("rejudge", "info", "Nothing to re-judge: those are queued, running or decided.")
        return
    report = enqueue(job_id)
    if report.error:
        notify("rejudge", "warning", f"{count:,} back to pending. {queue_down_message(report)}")
    else:
        notify("rejudge", "success", f"Re-judging {plural(count, 'candidate')}.")
