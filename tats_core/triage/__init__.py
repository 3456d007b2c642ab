"""The recruiter's objects: jobs, their candidates, and the files that come in and go out.

- ``jobs``        create, edit, archive, find; per-status counts
- ``candidates``  the status machine, overrides and re-runs, listing and detail
- ``reviews``     recruiters' decisions (who, why, when) beside the analyzer's, from the audit trail
- ``agreement``   how often reviewers kept the analyzer's decision: Cohen's kappa, confusion matrix
- ``csv_reader``  read a candidates CSV: encoding, delimiter, header aliases, chunks with progress
- ``csv_sample``  write a candidates CSV (the sample offered on the upload page, the demo's)
- ``ingest``      validate every row, then insert the valid ones at once
- ``export``      the evaluations CSV and the reviewers' labels, safe to open in a spreadsheet
- ``evidence``    the code an evaluation cites (``path:line``), read back from the files judged
- ``acceptance``  a job's acceptance tests: the employer's files, stored and versioned
- ``shared_code`` shared code within a job: stored own files, who shares with whom, the effect
                  on both candidates' verdicts (the detection is ``judging.overlap``)
"""
