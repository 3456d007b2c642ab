"""The recruiter's objects: jobs, their candidates, and the files that come in and go out.

- ``jobs``        create, edit, archive, find; per-status counts; criteria with weights, and the
                  candidates a changed rubric would re-judge
- ``verdicts``    checking a verdict: the job's weights, a rubric changed since, a verdict reused
- ``candidates``  the status machine, overrides and re-runs, failures by kind, history, detail
- ``listing``     the job's candidates as the table lists them: filters, order, one page
- ``decisions``   one decision with one reason for several candidates at once
- ``reviews``     recruiters' decisions (who, why, when) beside the analyzer's, from the audit trail
- ``notes``       recruiters' notes on a candidate (author, time): not decisions
- ``comparison``  two to four candidates side by side
- ``corrections`` a new repository URL, removal and return, each keeping the history
- ``agreement``   how often reviewers kept the analyzer's decision: Cohen's kappa, confusion matrix
- ``csv_reader``  read a candidates CSV: encoding, delimiter, header aliases and ATS export shapes
- ``links``       the repository among a row's links (ATS exports: several links to a cell)
- ``csv_sample``  write a candidates CSV (the samples on the upload page, the demo's)
- ``ingest``      validate every row, then insert the valid ones at once (``row_writer``); a row
                  that changes a known candidate is a ``replacement`` (applied when asked)
- ``export``      the evaluations CSV and the reviewers' labels, safe to open in a spreadsheet
- ``evidence``    the code an evaluation cites (``path:line``), read back from the files judged,
                  and its links on GitHub at the judged commit
- ``acceptance``  a job\'s acceptance tests: the employer\'s files, stored and versioned
- ``shared_code`` shared code within a job: stored own files (and a starter's), who shares with
                  whom, the effect on both candidates' verdicts (the detection is
                  ``judging.overlap``), the files a job's submissions were given
"""
