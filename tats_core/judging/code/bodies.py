"""Judging one body of code: is a function a stub, does a test assert anything real?

Language-neutral on purpose: the parsers (``parsing``, ``python_ast``) find the exact
extent of each function or test and hand over its body with comments already removed, so
these judgments only look at the few statements left. Each returns the reason in words (for
a finding a recruiter can cite) or ``None`` when the body is fine.
"""

from __future__ import annotations

import re

# A literal, in any of the languages: what a trivial assertion compares with itself.
_LIT = r"""(?:true|false|none|nil|null|undefined|-?\d+(?:\.\d+)?|"[^"\n]*"|'[^'\n]*')"""
_STATEMENT_BREAK = re.compile(r"[;\n]")

_TODO = re.compile(
    r"\b(?:TODO|FIXME|XXX|TBD|implement\s+(?:me|this)|not\s+(?:yet\s+)?implemented)\b", re.I
)

_NOT_IMPLEMENTED_WORDS = (
    r"(?:not\s*(?:yet\s*)?implemented|unimplemented|implement\s*(?:me|this)|todo|fixme|tbd)"
)
_STUB_BODIES = [
    re.compile(p, re.I | re.S)
    for p in (
        r"pass|\.\.\.|Ellipsis",
        # raise NotImplementedError / throw new UnsupportedOperationException(...) / C#, Kotlin,
        # Scala, PHP spellings, with or without `new`, a namespace or a message.
        r"(?:return\s+)?(?:raise|throw|fail)\s+(?:new\s+)?[\\\w.:]*"
        r"(?:NotImplemented\w*|UnsupportedOperation\w*|Unimplemented\w*)\b.*",
        # throw new Error("Not implemented") / raise "TODO" / throw Exception("implement me")
        rf"(?:raise|throw|fail)\s+(?:new\s+)?[\\\w.:]*\s*\(?\s*[\"'`]{_NOT_IMPLEMENTED_WORDS}.*",
        rf"panic\s*\(\s*[\"'`]{_NOT_IMPLEMENTED_WORDS}.*\)",  # Go
        r"TODO\s*\(.*\)",  # Kotlin's TODO()
        r"\?\?\?",  # Scala
    )
]
# What a function returns while it does nothing yet; a stub only when a TODO says so.
_PLACEHOLDER = (
    r"(?:null|none|nil|undefined|0|-1|false|true|\"\"|''|\[\]|\{\}|\(\)"
    r"|new\s+[\w.<>]+\(\)|[\w.]*(?:empty\w*|of|Ok|NoContent|NotFound)\(\)|unit)"
)
_PLACEHOLDER_RETURN = re.compile(
    rf"(?:return\s*)?(?:\(?\s*{_PLACEHOLDER}(?:\s*,\s*{_PLACEHOLDER})*\s*\)?)?", re.I
)

# Assertions that compare a literal with a literal: they pass whatever the code does.
_TRIVIAL_ASSERTION = re.compile(
    "|".join(
        f"(?:{p})"
        for p in (
            # expect(true).toBe(true), expect(1).not.toEqual(2), Expect(true).To(BeTrue()),
            # expect(true)->toBeTrue() (Pest)
            rf"\bexpect\s*\(\s*{_LIT}\s*\)\s*(?:(?:\.|->)\s*not\s*)?(?:\.|->)\s*to\w*\s*\(\s*"
            rf"(?:{_LIT}|\w+\(\s*(?:{_LIT})?\s*\))?\s*\)",
            # RSpec: expect(true).to be true / eq(true) / be_truthy
            rf"\bexpect\s*\(\s*{_LIT}\s*\)\s*\.\s*(?:to|not_to|to_not)\s*\(?\s*"
            rf"(?:be|eq|eql|equal|be_truthy|be_falsey|be_nil)?\s*\(?\s*(?:{_LIT})?\s*\)?\s*\)?",
            # One literal to a truthiness check: assert True, assert 1 == 1, assertTrue(true),
            # self.assertTrue(True), Assert.True(true), Assert.IsTrue(true), $this->assertTrue(true),
            # assert.True(t, true), assert.ok(true), assert true (minitest)
            rf"(?:[\w$]+\s*(?:\.|->|::)\s*)?(?:assert|assertTrue|assert_true|assertFalse|assert_false"
            rf"|assertNotNull|assert_not_nil|assertIsNotNone|IsTrue|IsFalse|True|False|ok|NotNull"
            rf"|IsNotNull|refute)\s*\(?\s*(?:t\s*,\s*)?{_LIT}\s*(?:(?:==|===|!=|is)\s*{_LIT}\s*)?"
            rf"(?:,\s*{_LIT}\s*)?\)?",
            # Two literals to any assertion: assertEquals(1, 1), assert_equal 1, 1, Assert.Equal(1, 1)
            rf"(?:[\w$]+\s*(?:\.|->|::)\s*)?\w*(?:assert|Assert|Equal|Same)\w*\s*\(?\s*(?:t\s*,\s*)?"
            rf"{_LIT}\s*,\s*{_LIT}\s*(?:,\s*{_LIT}\s*)?\)?",
            # assertThat(true).isTrue()
            rf"\bassertThat\s*\(\s*{_LIT}\s*\)\s*\.\s*is\w*\s*\(\s*(?:{_LIT})?\s*\)",
            # Scala / Kotlin matchers: true shouldBe true, 1 should be (1), 1 shouldEqual 1
            rf"{_LIT}\s+(?:should\w*|must\w*)(?:\s+(?:be|equal))?\s*\(?\s*{_LIT}\s*\)?",
            # FluentAssertions: true.Should().BeTrue()
            rf"{_LIT}\s*\.\s*Should\(\)\s*\.\s*\w+\(\s*(?:{_LIT})?\s*\)",
        )
    ),
    re.I,
)
_ASSERTION = re.compile(
    r"\bassert|\bexpect|andExpect|\bshould|\bmust_|\bmust\w*\b|\bverify|\brefute|\bXCTAssert"
    r"|\bt\.(?:Error|Errorf|Fatal|Fatalf|Fail|FailNow)\b|\brequire\.\w+|\braises\b|Ω"
    r"|\bthen\(\)\s*\.|\bcheck\w*\s*\(|\bfail\s*\(",
    re.I,
)


def normalise(body: str) -> str:
    """The statements of a body (comments already gone): outer braces, arrows and ``;`` off."""
    text = body.strip()
    if text.startswith("=>"):
        text = text[2:].strip()
    elif text.startswith("="):
        text = text[1:].strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if text.startswith("do") and text.endswith("end") and (len(text) == 5 or text[2] in " \n"):
        text = text[2:-3].strip()
    return text.rstrip("; \n\t")


def stub_reason(body: str, comments: str) -> str | None:
    """Why this function body is a stub, or None when it does something."""
    text = normalise(body)
    if not text:
        return "empty body"
    flat = " ".join(text.split())
    if any(p.fullmatch(flat) for p in _STUB_BODIES):
        return f"body is only `{_clip(flat)}`"
    if _TODO.search(comments) and _PLACEHOLDER_RETURN.fullmatch(flat):
        return f"TODO with placeholder `{_clip(flat)}`"
    return None


def hollow_reason(body: str) -> str | None:
    """Why this test proves nothing, or None when it asserts something about real values.

    Statement by statement: the first assertion that is not literal-against-literal makes the
    test real (a multi-line assertion is judged by its first line, which is never trivial).
    """
    text = normalise(body)
    if not text:
        return "empty test body"
    trivial = False
    for statement in _STATEMENT_BREAK.split(text):
        statement = statement.strip(" \t\r{}")
        if not statement or not _ASSERTION.search(statement):
            continue
        if _TRIVIAL_ASSERTION.fullmatch(statement):
            trivial = True
        else:
            return None
    return "asserts only literals (e.g. expect(true).toBe(true))" if trivial else "no assertion"


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
