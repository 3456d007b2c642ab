"""Streamlit helpers shared by the pages (the pages themselves live in ``app_pages/``); the product's
logic stays in ``tats_core``.

- ``deps``          settings (environment or Streamlit secrets) and the dependencies built once
- ``auth``          sign-in when configured, local mode otherwise; who is acting
- ``navigation``    where each page's script lives, and the browser tab's title and icon
- ``sidebar``       the sidebar every page shares: who is signed in and the GitHub quota
- ``quota``         the GitHub quota, read at most once a minute
- ``queueing``      publishing a job's pending candidates, and the words when the queue is down
- ``problems_banner`` judging paused on a misconfigured dependency: what to fix, who waits
- ``welcome``       the first-run panel (and the demo button under ``tats dev --demo``)
- ``timezone``      stored UTC times shown in the viewer's zone
- ``escaping``      untrusted text shown literally in markdown
- ``palette``       a status's chip in its colour
- ``triage_view``   the triage page's pieces; ``triage_links`` its URL (job, candidate, filters)
"""
