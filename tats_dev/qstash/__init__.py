"""The local QStash-compatible server, in parts; ``tats_dev.qstash_server`` is its front door.

- ``message``  the message dataclass and the parsing of ``Upstash-*`` publish headers
- ``backoff``  durations, ``Retry-After``, the default backoff and the retry-delay expression
- ``signing``  the ``Upstash-Signature`` JWT
- ``store``    SQLite persistence: pending messages, dead letters, deduplication ids
- ``delivery`` the asyncio loop that delivers, retries, dead-letters and calls back
- ``api``      the HTTP API the ``qstash`` SDK talks to, and ``create_app``
"""
