"""Judging a repository against a job: facts computed in code, then an analyzer's verdict.

- ``signals``          facts from the snapshot that are shown to recruiters and bound any verdict
- ``readme``           what a README says: setup and run steps, a generator's default, hidden text
- ``stack``            the languages and frameworks a job asks for vs those a repository shows
- ``untrusted``        repository text is untrusted: clean it, fence it, spot text aimed at the judge
- ``analysis``         the analysis contract both analyzers produce, and ``bound_by_signals``
- ``heuristic``        the offline analyzer: a transparent rubric over the signals
- ``cohere_analyzer``  the Cohere analyzer: a chat model, fenced and bounded by the signals
- ``code_signals``     what the code itself shows: functions, stubs, real and hollow tests, secrets
- ``code_grammars``    the tree-sitter grammars and queries for JS/TS, Java, Kotlin, Go, C#,
                       Ruby, PHP and Scala (prebuilt wheels: nothing is downloaded at run time)
- ``code_parsing``     functions and test cases read with those grammars, within time limits
- ``code_python``      the same for Python, with the standard library's ``ast``
- ``code_bodies``      when a body is a stub and when a test proves nothing
- ``secret_patterns``  credentials committed in the text, placeholders left out
- ``overlap``          shared code between submissions of a job, from blob shas (generator and
                       starter files excluded); it caps a decision at ``needs_review``, no lower

Judging is pure over a snapshot: it imports neither the GitHub client nor the store.
"""
