"""Putting the pieces together: candidates through the queue, the GitHub client and a judge.

- ``intake``            the import use case (CLI, upload page, demo): store the rows, then publish
- ``queue``             publishing to QStash with the database as the outbox; ``reconcile``
- ``queue_admin``       operating the queue: the reconcile schedule, dead letters, recent events
- ``qstash_http``       TATS's own few QStash API calls, with a timeout and one error taxonomy
- ``delivery``          one delivery, start to end: claim -> judge -> record, every failure
                        classified once into an ``outcome``
- ``outcome``           what a delivery came to, with the HTTP status that tells the queue
- ``claims``            claims on candidates in Core SQL: take, renew, give back, finish (fenced)
- ``lease``             claims are leases: the one rule for when a candidate may be taken over
- ``judgement``         snapshot -> own work -> (a reused verdict, or) code sample -> tests ->
                        signals -> analyzer -> bounds (the database only through ``Stored``)
- ``recording``         the evaluation and final status of a judgement or a permanent failure
- ``reuse``             repeatable verdicts: the same commit, rubric and analyzer reuse the verdict
                        (no model call, no test run); what judging reads from the database
- ``test_runs``         a candidate's tests in the sandbox: when, where, what is stored
- ``failure_callback``  the queue gave up on a message: a final failure status, or the outbox
- ``job_events``        a job's signed ``job.completed`` webhook, once every candidate is final
- ``problems``          dependencies misconfigured (a rejected key): recorded, shown, waited for
- ``recheck``           asking a misconfigured dependency whether it answers again
"""
