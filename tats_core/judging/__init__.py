"""Judging a repository against a job: facts computed in code, then an analyzer's verdict.

- ``signals``          facts from the snapshot that are shown to recruiters and bound any verdict
- ``provenance``       the candidate's own work: a starter (fork parent, template, commits another
                       author pushed first), generator files and the job's common files set aside
- ``generated``        the files project generators write
- ``history``          what the commits say: span, active days, housekeeping, a single dump
- ``assignment``       the scale of an assignment (its description or acceptance tests): how much
                       code a complete solution takes
- ``criteria``         a job's criteria with weights (a default set), and the rubric's hash
- ``concerns``         every concern line, one template each, naming its places (``path:line``)
- ``version``          the judging rules' version: a hash of this package's source
- ``readme``           what a README says: setup and run steps, a generator's default, hidden text
- ``stack``            the languages and frameworks a job asks for vs those a repository shows
- ``untrusted``        repository text is untrusted: clean it, fence it, spot text aimed at the judge
- ``analysis``         the analysis contract both analyzers produce, and ``bound_by_signals``
- ``heuristic``        the offline analyzer: a transparent rubric over the signals
- ``cohere_analyzer``  the Cohere analyzer: a chat model, fenced and bounded by the signals
- ``unconfigured``     the analyzer of a worker missing its key: every call waits on the operator
- ``code``             what the code itself shows: functions, stubs, real and hollow tests,
                       secrets (a sub-package: tree-sitter grammars, ``ast``, body rules)
- ``overlap``          shared code between submissions of a job, from blob shas (generator and
                       starter files excluded); it caps a decision at ``needs_review``, no lower

Judging is pure over a snapshot: it imports neither the GitHub client nor the store.
"""
