"""Streamlit helpers shared by the pages (the pages themselves live in ``app_pages/``); the product's
logic stays in ``tats_core``.

- ``deps``            settings (environment or Streamlit secrets) and the dependencies built once
- ``auth``            sign-in when configured, local mode otherwise; who is acting
- ``navigation``      where each page's script lives, the browser tab's title and icon, the sidebar
- ``sidebar``         the sidebar every page shares: who is signed in and the GitHub quota
- ``quota``           the GitHub quota, read at most once a minute
- ``queueing``        publishing a job's pending candidates, and the words when the queue is down
- ``tests_view``      the test runs: the table's cell and filter, the panel's section
- ``acceptance_view`` a job's test switch and acceptance tests (the Jobs page)
- ``criteria_view``   a job's criteria with weights, and re-judging on request (the Jobs page)
- ``problems_banner`` judging paused on a misconfigured dependency: what to fix, who waits
- ``welcome``         the first-run panel (and the demo button under ``tats dev --demo``)
- ``timezone``        stored UTC times shown in the viewer's zone
- ``escaping``        untrusted text shown literally in markdown
- ``notices``         a message left for the next run of a page, shown beside what caused it
- ``palette``         a status's chip in its colour
- ``labels``          words for TATS's own names (analyzers, flags)
- ``scroll``          bringing a newly opened part of the page into view, with the focus
- ``triage_view``     the triage page's overview, filters, table, footer and downloads
- ``selection``       the candidates ticked in the table, the one open, the job's order
- ``triage_links``    the triage page's URL (job, candidate, comparison, order, filters)
- ``triage_actions``  what the triage page's buttons do, bound to one job
- ``candidate_panel`` one candidate's evaluation; ``panel_actions`` its actions and notes
- ``evidence_view``   an evaluation's words with their cited places linked, and the cited code
- ``compare_view``    two to four candidates side by side
"""
