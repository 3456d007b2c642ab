"""Agreement between the analyzer and the recruiters: counts, Cohen's kappa, confusion matrix."""

from __future__ import annotations

import pytest

from tats_core.triage.agreement import agreement, matrix_rows

FINE, REVIEW, LOW = "looks_fine", "needs_review", "low_effort"


def test_kappa_matches_a_hand_computed_example():
    # 10 reviews. Analyzer: 4 fine, 3 review, 3 low. Human kept 6 of them.
    #             human fine  review  low
    # analyzer fine     3       1      0
    #          review   1       2      0
    #          low      0       1      2
    pairs = (
        [(FINE, FINE)] * 3
        + [(FINE, REVIEW)]
        + [(REVIEW, FINE)]
        + [(REVIEW, REVIEW)] * 2
        + [(LOW, REVIEW)]
        + [(LOW, LOW)] * 2
    )
    result = agreement(pairs)
    assert (result.reviewed, result.kept, result.changed) == (10, 7, 3)
    assert result.matrix == ((3, 1, 0), (1, 2, 0), (0, 1, 2))
    # p_o = 7/10; human marginals 4, 4, 2; p_e = (4*4 + 3*4 + 3*2) / 100 = 0.34
    # kappa = (0.70 - 0.34) / (1 - 0.34) = 0.36 / 0.66
    assert result.observed == pytest.approx(0.7)
    assert result.kappa == pytest.approx(0.36 / 0.66)


def test_perfect_agreement_is_kappa_one_and_no_reviews_is_undefined():
    assert agreement([(FINE, FINE), (LOW, LOW)]).kappa == pytest.approx(1.0)
    empty = agreement([])
    assert (empty.reviewed, empty.observed, empty.kappa) == (0, None, None)
    # Everybody said the same thing: chance agreement is total and kappa is undefined.
    assert agreement([(FINE, FINE)] * 3).kappa is None


def test_pairs_outside_the_decisions_are_left_out_and_the_matrix_is_labelled():
    result = agreement([("github_failed", LOW), (LOW, FINE)])
    assert result.reviewed == 1 and result.kept == 0
    rows = matrix_rows(result)
    assert rows[2] == {
        "Analyzer said": "Low effort",
        "Human: Looks fine": 1,
        "Human: Needs review": 0,
        "Human: Low effort": 0,
    }
