from words import bigrams, title_case, top_words, word_counts


def test_title_case_keeps_apostrophes():
    assert title_case("don't stop") == "Don't Stop"


def test_word_counts_fold_case():
    assert word_counts("Straße strasse STRASSE") == {"strasse": 3}


def test_top_words_break_ties_alphabetically():
    assert top_words("b a c a b", 2) == ["a", "b"]


def test_bigrams():
    assert bigrams("a b c") == [("a", "b"), ("b", "c")]
