"""What the code itself shows, read from a submission's code sample: functions, stubbed bodies,
test cases and those that assert something real, hard-coded secrets, each with ``path:line``.

- ``reading``     the entry point: ``analyse_code`` over the sampled files, by language
- ``grammars``    the tree-sitter grammars and queries for JS/TS, Java, Kotlin, Go, C#, Ruby, PHP
                  and Scala (prebuilt wheels: nothing is downloaded at run time)
- ``parsing``     functions and test cases read with those grammars, within time limits
- ``python_ast``  the same for Python, with the standard library's ``ast``
- ``bodies``      when a body is a stub and when a test proves nothing
- ``secrets``     credentials committed in the text, placeholders left out
"""
