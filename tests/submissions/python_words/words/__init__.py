"""Small text helpers: title case that respects apostrophes, word counts, sliding pairs."""

from collections import Counter

from more_itertools import pairwise


def title_case(text: str) -> str:
    return " ".join(word[:1].upper() + word[1:].lower() for word in text.split())


def word_counts(text: str) -> dict[str, int]:
    words = [w.strip(".,!?;:").casefold() for w in text.split()]
    return dict(Counter(w for w in words if w))


def top_words(text: str, n: int) -> list[str]:
    counts = word_counts(text)
    return sorted(counts, key=lambda w: (-counts[w], w))[:n]


def bigrams(text: str) -> list[tuple[str, str]]:
    return list(pairwise(text.split()))
