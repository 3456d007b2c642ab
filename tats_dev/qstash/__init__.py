"""The local QStash-compatible server, in parts; ``tats_dev.qstash_server`` is its front door.

- ``clock``        the one clock every part reads; a ``ShiftedClock`` that tests move forward
                   (``create_app(clock=...)``, or ``--test-clock`` and ``POST /dev/clock``,
                   a route only a server started that way has, behind the token)
- ``message``      the message dataclass and the parsing of ``Upstash-*`` publish headers
- ``backoff``      durations, ``Retry-After``, the default backoff and the retry-delay expression
- ``signing``      the ``Upstash-Signature`` JWT
- ``filters``      ids and filters of bulk operations, the DLQ and logs (query string or body)
- ``store``        SQLite persistence: messages, dead letters, deduplication ids
- ``events``       the log of message states (``/v2/events``), written with each change
- ``queues``       queues: rows, the per-queue delivery gate, ``/v2/queues`` and enqueueing
- ``topics``       URL groups (``/v2/topics``) and the fan-out of a publish to their endpoints
- ``cron``         the cron evaluator (five fields, ``CRON_TZ=`` prefix)
- ``schedule``     schedules (``/v2/schedules``): rows, and the loop that fires them
- ``flow_control`` the per-key gate, its pauses and pins (``/v2/flowControl``)
- ``delivery``     the asyncio loop that delivers, retries, dead-letters and calls back
- ``api``          the HTTP API the ``qstash`` SDK talks to, and ``create_app``
"""
