"""Putting the pieces together: candidates through the queue, the GitHub client and a judge.

- ``intake``    the import use case (CLI, upload page, demo): store the rows, then publish them
- ``queue``     publishing to QStash with the database as the outbox; ``reconcile``
- ``queue_admin`` operating the queue: the reconcile schedule, dead letters, recent events
- ``pipeline``  one delivery: claim -> snapshot -> signals -> analyzer -> final status
- ``lease``     claims are leases: the one rule for when a candidate may be taken over
"""
