"""Persistence: where every fact TATS keeps lives, on SQLite or PostgreSQL.

- ``db``          the engine, the session factory and ``transaction`` (the caller owns commits)
- ``models``      the tables: job, candidate, evaluation, status_event, candidate_file, http_cache,
                  blob_text
- ``schema``      ``migrate``: Alembic upgrades, run once per release (``tats migrate``)
- ``migrations``  the Alembic environment and its versions
"""
