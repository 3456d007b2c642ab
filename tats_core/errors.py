"""The one error taxonomy of TATS.

Every failure that crosses a module boundary is one of these; vendor exceptions (httpx, cohere,
qstash, SQLAlchemy) are translated where they are caught (``raise GitHubError(...) from exc``)
and classified exactly once, by the caller that decides what happens next::

    TatsError
    ├── InputError            the user's input is wrong; the message is shown to them as is
    │   ├── NotFound          an id or title that does not exist
    │   └── ArchiveError      an archive is unsafe or too large (a submission's, or acceptance tests)
    ├── ConfigurationError    an operator must fix a setting (bad token, dev keys in production);
    │                         ``dependency`` names what it concerns ("cohere", "github", ...)
    └── ServiceError          an outside service failed; ``transient`` says whether to retry
        ├── GitHubError       final status when permanent: ``github_failed``
        ├── AnalyzerError     final status when permanent: ``ai_failed``
        ├── QueueError        publishing to QStash failed (candidates stay pending)
        └── TestRunError      the sandbox could not take a test run (every slot busy: transient)

The worker turns a transient ServiceError into a 5xx so QStash retries, a permanent one into a
final failure status and a 2xx, and a ConfigurationError of a dependency into a wait: the
candidate goes back to the outbox, spending none of its retries, until the dependency answers.
"""

from __future__ import annotations

from tats_core.statuses import AI_FAILED, GITHUB_FAILED, UNKNOWN_FAILED, Status


class TatsError(Exception):
    """Base of every error TATS raises on purpose."""


class InputError(TatsError):
    """Bad input from a person: an unreadable CSV, a missing column, an unknown job."""


class NotFound(InputError):
    """Something named by id or title does not exist."""


class ArchiveError(InputError):
    """An archive TATS refuses to unpack: a path out of the tree, a link out, a device, too big.

    For a candidate's submission it ends that test run as ``not_run`` with this message; for an
    employer's acceptance tests it is shown to them.
    """


class ConfigurationError(TatsError):
    """A setting is wrong or unsafe; nothing a retry alone can fix, but nothing to record either.

    ``dependency`` names the outside service the setting is for ("cohere", "github"), or
    "settings" for TATS's own; its message says what to check and never holds a secret."""

    def __init__(self, message: str, *, dependency: str = "settings") -> None:
        super().__init__(message)
        self.message = message
        self.dependency = dependency


class ServiceError(TatsError):
    """An outside service failed.

    ``transient`` errors are retried (``retry_after`` seconds when the service said so);
    permanent ones end the candidate in ``failure_status``.
    """

    failure_status: Status = UNKNOWN_FAILED
    service = "service"

    def __init__(self, message: str, *, transient: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.retry_after = retry_after


class GitHubError(ServiceError):
    failure_status = GITHUB_FAILED
    service = "github"


class AnalyzerError(ServiceError):
    failure_status = AI_FAILED
    service = "analyzer"


class QueueError(ServiceError):
    service = "queue"


class TestRunError(ServiceError):
    __test__ = False  # not a test class, though its name says Test

    service = "test runner"
