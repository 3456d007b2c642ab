"""What TATS knows about one repository: the vocabulary ``github`` writes and ``judging`` reads.

- ``snapshot``  ``RepoSnapshot`` and its parts (tree entries, commits), as TATS's own dataclasses
- ``files``     what each path of a tree is: code, a test, CI, vendored or built output, IDE junk
"""
