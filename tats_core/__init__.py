"""TATS, the Technical Applicant Triage System: the product's logic, with no UI or web framework.

Sub-packages, one per seam (each ``__init__`` maps its own parts):

- ``store``       the database: engine, models, migrations
- ``github``      GitHub's API -> a ``RepoSnapshot``; URL parsing, ETag cache, quota
- ``repo``        the snapshot vocabulary shared by ``github`` (writes it) and ``judging`` (reads it)
- ``judging``     signals, README and stack detection, untrusted text, the heuristic and Cohere
- ``triage``      jobs, candidates, CSV in (ingest) and out (export)
- ``processing``  intake, the queue (outbox, reconcile) and the per-candidate pipeline

At the top: ``cli`` (``tats``), ``deps`` (builds a process's dependencies once), ``errors`` (the
one taxonomy), ``retry`` (Retry-After and the backoff of GitHub and Cohere calls),
``settings`` (the environment) and ``statuses`` (the contract's vocabulary).
``pages/``, ``streamlit_app.py`` and ``worker_service/`` are thin shells over this package;
``tats_dev`` (local queue, GitHub replay, demo) is never imported here but by the dev commands.
"""
