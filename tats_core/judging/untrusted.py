"""Repository text is untrusted data: clean it, fence it, and spot text aimed at the judge.

A README can hide text from the people who read it on GitHub while a model still reads it: HTML
comments, ``[//]: #`` reference "comments", zero-width and bidi control characters, Unicode tag
characters that spell ASCII invisibly. One open-source screener was talked into a top score that
way (interviewstreet/hiring-agent#273). So before a model sees repository text:

- ``clean_untrusted`` removes what GitHub would not show, marks ``<details>`` blocks (their text
  is visible after a click, so it stays), and caps the length;
- ``fence`` wraps it between lines carrying a per-request random delimiter (``new_delimiter``)
  that does not occur in any of the texts, so no text can close its own block;
- ``find_injection_phrases`` looks for phrases addressed to an automated judge on the raw text
  (hidden parts included, invisible characters removed, look-alike letters folded) and on the
  cleaned text (where removing a comment can join a word split around it).

This module imports nothing from TATS, so signals and every analyzer can use it.
"""

from __future__ import annotations

import html
import re
import secrets
import unicodedata
from dataclasses import dataclass

DEFAULT_LIMIT = 12_000
DETECTION_LIMIT = 500_000

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)  # unclosed: GitHub hides the rest
_MARKDOWN_COMMENT = re.compile(
    r"^[ \t]*\[[^\]\n]*\]:[ \t]*(?:<>|<?#>?)(?:[ \t]+[\"'(].*)?$", re.MULTILINE
)
_DETAILS_OPEN = re.compile(r"<details\b[^>]*>", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.IGNORECASE)
_BLANK_RUNS = re.compile(r"\n{3,}")
_TAG_CHARS = re.compile("[\U000e0020-\U000e007e]")
# Invisible characters that are not Unicode "format" (Cf) characters, which go as a category.
_EXTRA_INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0") | frozenset(
    chr(c) for c in [*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)
# Ordinary emoji sequences use these (and a file may start with a BOM): removed, not counted.
_EMOJI_JOINERS = frozenset("\u200d\ufe0e\ufe0f")
# Letters from other scripts that render like Latin ones ("іgnore" with a Cyrillic i).
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁɡһӏοαν" + "АВЕКМНОРСТХІЈЅ",
    "aeopcyxijsdghloav" + "abekmhopctxijs",
)


@dataclass(frozen=True)
class CleanedText:
    text: str
    hidden_comments: int = 0  # HTML / markdown comments removed
    invisible_chars: int = 0  # zero-width, bidi, tag and other invisible characters removed
    collapsed_blocks: int = 0  # <details> blocks marked
    truncated: bool = False

    @property
    def had_hidden_text(self) -> bool:
        return bool(self.hidden_comments or self.invisible_chars)


def _is_invisible(char: str) -> bool:
    if char in "\n\t":
        return False
    return unicodedata.category(char) in ("Cf", "Cc", "Co") or char in _EXTRA_INVISIBLE


def strip_invisible(text: str) -> tuple[str, int]:
    """Remove invisible characters; return the text and how many of them could hide text."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    removed = [c for c in text.removeprefix("\ufeff") if _is_invisible(c)]
    kept = "".join(c for c in text if not _is_invisible(c))
    return kept, sum(1 for c in removed if c not in _EMOJI_JOINERS)


def clean_untrusted(text: str, *, limit: int = DEFAULT_LIMIT) -> CleanedText:
    """What a person sees on GitHub, as plain text a model may read (at most ``limit`` chars)."""
    # Invisible characters go first, so ``<!\u200b--`` cannot dodge the comment pattern.
    text, invisible = strip_invisible(text)
    text, html_comments = _HTML_COMMENT.subn("", text)
    text, md_comments = _MARKDOWN_COMMENT.subn("", text)
    text, collapsed = _DETAILS_OPEN.subn("[collapsed section]", text)
    text = _DETAILS_CLOSE.sub("[end of collapsed section]", text)
    text = _BLANK_RUNS.sub("\n\n", text).strip()
    truncated = len(text) > limit
    if truncated:
        omitted = len(text) - limit
        text = f"{text[:limit]}\n[... {omitted} more characters not shown]"
    return CleanedText(text, html_comments + md_comments, invisible, collapsed, truncated)


def new_delimiter(*texts: str) -> str:
    """A random marker (hex) that occurs in none of ``texts``: one per request."""
    while True:
        delimiter = secrets.token_hex(8)
        if not any(delimiter in text for text in texts):
            return delimiter


def fence(text: str, label: str, delimiter: str) -> str:
    """Wrap untrusted ``text`` in begin/end lines that only the delimiter's owner can write."""
    if delimiter in text:
        raise ValueError("the delimiter occurs in the text; make a new one with new_delimiter()")
    safe_label = re.sub(r"[^\w./ -]", "_", label)[:120]
    return f"BEGIN_UNTRUSTED_{delimiter} {safe_label}\n{text}\nEND_UNTRUSTED_{delimiter}"


_QUALIFIER = r"(?:all|any|every|previous|prior|above|earlier|preceding|former|your|system|other)"
_TARGET = r"(?:instructions?|prompts?|rules|directions|guidelines|directives|context|commands)"
_AI = r"(?:ai|a\.i\.|llm|language model|gpt|chatgpt|claude|cohere)"
_WHO = rf"(?:{_AI}|bot|chatbot|model|assistant)"
_JUDGE = r"(?:reviewer|evaluator|grader|judge|screener|assessor|recruiter)s?"
_WORK = r"(?:candidate|applicant|repo|repository|submission|project|solution|codebase|code base)"
_INJECTION_PATTERNS = [
    rf"\b(?:ignore|disregard|forget|override|bypass)\s+(?:[\w']+\s+){{0,2}}?{_QUALIFIER}"
    rf"\s+(?:[\w']+\s+){{0,2}}?{_TARGET}\b",
    r"\bnew\s+(?:system\s+)?instructions\s*:",
    r"\bsystem\s+(?:prompt|message|instructions?)\b",
    rf"\b(?:rate|score|grade|rank|evaluate|mark|classify)\s+(?:this|the|my)\s+{_WORK}\s+"
    r"(?:as|with|a|an|at|highly|high|top|positively|\d+)\b",
    r"\brate\s+(?:this|me)\s+(?:as|with|a|an|at|highly|high|\d+)\b",
    rf"\bgive\s+(?:this|the|my|me)\s+(?:{_WORK}\s+)?(?:a|an|the)?\s*"
    r"(?:perfect\s+|high\s+|top\s+|full\s+|maximum\s+|good\s+|positive\s+)?"
    r"(?:score|rating|grade|marks?|verdict|decision|evaluation|review)\b",
    r"\b(?:looks[_-]?fine|needs_review|low_effort)\b",
    r"\b(?:decision|verdict|status|classify|label)\b[^.\n]{0,40}\blooks\s+fine\b",
    rf"\byou\s+are\s+(?:now\s+)?(?:an?\s+|the\s+)?(?:{_WHO}|{_JUDGE}|hiring\s+\w+)\b",
    rf"\b(?:if\s+you\s+are|as)\s+(?:an?|the)\s+(?:ai\s+)?(?:{_AI}|{_JUDGE})\b",
    rf"\b(?:ai|llm|automated|gpt)\s+{_JUDGE}",
    rf"\b(?:note|message|attention|instructions?|hey|dear|hello)\s+(?:to|for)?\s*"
    rf"(?:the|any|all)?\s*{_AI}s?\s*[:,]",
    r"\bscore\s*(?:of|:|=|is)\s*(?:100|a\s+hundred|one\s+hundred)\b",
    r"\b(?:perfect|maximum|highest\s+possible)\s+score\b",
    r"\bfull\s+marks\b",
    rf"\b(?:hire|shortlist|advance|approve)\s+(?:this|the)\s+{_WORK}\b",
    r"\bstrong\s+hire\b",
    r"\bdo\s*n[o']?t\s+(?:flag|penali[sz]e|downgrade)\b",
]
_INJECTION = re.compile("|".join(f"(?:{p})" for p in _INJECTION_PATTERNS), re.IGNORECASE)
_MARKUP_NOISE = re.compile(r"[^\w\s'/:=.,!?-]")
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,300}>")


def _reveal_tag_characters(text: str) -> str:
    """Tag characters U+E0020..E007E spell ASCII invisibly; spell it out for detection."""
    return _TAG_CHARS.sub(lambda m: chr(ord(m.group()) - 0xE0000), text)


def _normalise_for_detection(text: str) -> str:
    text = html.unescape(_reveal_tag_characters(text))
    text = unicodedata.normalize("NFKC", text)  # fullwidth and styled letters
    text, _ = strip_invisible(text)
    text = text.translate(_CONFUSABLES).casefold()
    text = text.replace("<!--", " ").replace("-->", " ")
    text = _HTML_TAG.sub(" ", text)
    text = _MARKUP_NOISE.sub(" ", text)  # markdown emphasis, quotes, brackets
    return " ".join(text.split())


def find_injection_phrases(text: str, *, limit: int = 10) -> list[str]:
    """Phrases in ``text`` addressed to an automated judge, normalised, first seen first.

    Only the first ``DETECTION_LIMIT`` characters are read (a model is shown far less).
    """
    found: list[str] = []
    text = text[:DETECTION_LIMIT]
    variants = (
        _normalise_for_detection(text),
        _normalise_for_detection(clean_untrusted(text, limit=len(text) + 1).text),
    )
    for variant in variants:
        for match in _INJECTION.finditer(variant):
            phrase = match.group().strip(" :,")[:80]
            if phrase not in found:
                found.append(phrase)
            if len(found) >= limit:
                return found
    return found
