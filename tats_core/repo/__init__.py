"""What TATS knows about one repository: the vocabulary ``github`` writes and ``judging`` reads.

- ``snapshot``  ``RepoSnapshot`` and its parts (tree entries, commits), as TATS's own dataclasses
- ``sample``    which files a reviewer would open (a budget), and the ``CodeSample`` read from them
- ``files``     what each path of a tree is: code, a test, CI, vendored or built output, IDE junk
- ``places``    ``path:line`` places in the code, as evidence cites them
"""
