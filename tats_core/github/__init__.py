"""GitHub: from a candidate's URL to a ``RepoSnapshot`` and its ``CodeSample``, in few requests.

- ``url``      normalise the URL forms candidates write into ``owner/repo`` (or say why not)
- ``client``   ``GitHubClient``: one repository -> one snapshot (REST, or GraphQL with a token)
- ``http``     the one HTTP client to GitHub (API, raw text, archives): headers, ETags, request
               counting, bounded bodies, retries (``retry.Backoff``); failed answers -> ``GitHubError``
- ``graphql``  the one GraphQL query a snapshot costs with a token, and how its answer is read
- ``shapes``   GitHub's JSON shapes -> pieces of a snapshot (pure functions)
- ``cache``    the conditional-request (ETag) cache, stored in the database
- ``blobs``    the text of a code sample's files: raw downloads, or GraphQL blobs with a token
- ``blob_cache`` file text by git blob sha, stored in the database: each file is read once
- ``archive``  the submission at a commit as GitHub's tar.gz (bounded; one API request)
- ``archive_cache`` archives by commit sha, stored in the database: each commit is downloaded once
- ``quota``    how many requests remain, so an upload can be warned about the hourly limit

README names and manifests are ``tats_core.repo.files``' vocabulary; this package asks for them.

Nothing here judges anything: ``judging`` reads the snapshot, never this package.
"""
