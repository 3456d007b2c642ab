"""Judging a repository: the signals read from it and the verdicts drawn from them."""
