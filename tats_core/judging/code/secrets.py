"""Hard-coded secrets in committed text: what they look like, and what only looks like one.

Two kinds of evidence, line by line:
- *tokens* whose shape alone says what they are (AWS access key ids, private key blocks, GitHub,
  Slack, Stripe and Google API tokens, Slack webhooks); looked for in every file, tests included;
- *assignments* of a literal to a name that says secret (``password``, ``api_key``,
  ``client_secret``, ``JWT_SECRET``…): in code, ``.env``, properties and YAML files, not in tests
  or in ``*.example``/``sample``/``template`` files, which hold fakes on purpose. The value must
  look like a credential: 8+ characters, no spaces, not a placeholder (``changeme``,
  ``${DB_PASSWORD}``, ``<your-key>``, ``xxxx``, an environment lookup, a field name like
  ``auth_token``) and with some mix of digits, cases or symbols (``required`` is a validation
  rule, not a password).

The finding never repeats the secret: only its kind and a masked prefix.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass


@dataclass(frozen=True)
class SecretHit:
    line: int
    detail: str


_TOKENS: list[tuple[str, tuple[str, ...], re.Pattern[str]]] = [  # kind, clues, pattern
    ("AWS access key id", ("akia", "asia"), re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "AWS secret access key",
        ("secret_access", "secretaccess"),
        re.compile(r"aws_?secret_?access_?key\W{0,4}[=:]\s*[\"']?[A-Za-z0-9/+=]{40}\b", re.I),
    ),
    (
        "private key block",
        ("private key",),
        re.compile(
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----"
        ),
    ),
    (
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_\w{60,}"),
    ),
    ("Slack token", ("xox",), re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    (
        "Slack webhook",
        ("hooks.slack.com",),
        re.compile(r"https://hooks\.slack\.com/services/T\w+/B\w+/\w+"),
    ),
    ("Stripe key", ("_live_", "_test_"), re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}")),
    ("Google API key", ("aiza",), re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
]
_NEWLINE = re.compile("\n")
# Substrings (lower case) that every secret-looking name contains: the lines worth a closer look.
_KEY_WORDS = ("pass", "pwd", "secret", "key", "token", "credential")
_SECRET_WORDS = (
    r"password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?key|access[_-]?token"
    r"|auth[_-]?token|private[_-]?key|token|credentials?"
)
_ASSIGNED = re.compile(
    r"""(?P<key>[A-Za-z_$][\w.$-]*)["']?\s*(?::=|=>|=|:)\s*(?P<q>["'`])(?P<value>[^"'`\s]{8,200})(?P=q)"""
)
_BARE = re.compile(
    r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][\w.-]*)\s*[=:]\s*(?P<value>[^\s#\"'`]{8,200})\s*$"
)
_KEY_IS_SECRET = re.compile(rf"(?:{_SECRET_WORDS})", re.I)
# Names that mention a secret but hold something else: a length, a URL, a field's name...
_KEY_IS_NOT = re.compile(
    r"(?:url|uri|endpoint|path|file|dir|name|field|label|length|len|size|min|max|type|header"
    r"|prefix|regex|pattern|policy|hint|placeholder|message|msg|error|route|column|key_id"
    r"|expir\w*|ttl|algorithm|alg|hash|salt_rounds|rounds|input|selector|param|format|encoding)$",
    re.I,
)
_PLACEHOLDER = re.compile(
    r"change_?-?me|example|placeholder|your|xxx|\*\*\*|dummy|sample|redacted|fake|replace|insert"
    r"|todo|mock|\$\{|\{\{|<|%\(|%s|\$\(|environ|getenv|process\.env|ENV\[|\benv\(|config\("
    r"|^(?:test|secret|password|token)\d{0,4}$",
    re.I,
)
_CONFIG_SUFFIXES = (".env", ".properties", ".yml", ".yaml", ".ini", ".cfg", ".toml", ".conf")
_FAKE_FILES = re.compile(r"example|sample|template|\.dist$|fixture|mock", re.I)


def find_secrets(path: str, text: str, is_test: bool) -> list[SecretHit]:
    """Hard-coded secrets in one file, with their 1-based line (at most one per line)."""
    found: dict[int, str] = {}
    lowered = text.lower()
    breaks: list[int] = []

    def line_of(offset: int) -> int:
        if not breaks:
            breaks.extend(m.start() for m in _NEWLINE.finditer(text))
            breaks.append(len(text))
        return bisect_right(breaks, offset - 1) + 1

    for kind, clue, pattern in _TOKENS:  # a substring check first: whole-file scans stay cheap
        if any(c in lowered for c in clue):
            for match in pattern.finditer(text):
                if "EXAMPLE" not in match.group(0).upper():
                    found.setdefault(line_of(match.start()), f"{kind} ({_mask(match.group(0))})")
    if is_test or _FAKE_FILES.search(path.rsplit("/", 1)[-1]):
        return [SecretHit(line, detail) for line, detail in sorted(found.items())]
    config = path.lower().endswith(_CONFIG_SUFFIXES) or "/.env" in f"/{path.lower()}"
    candidates: set[int] = set()
    for word in _KEY_WORDS:
        at = lowered.find(word)
        while at != -1:
            candidates.add(line_of(at))
            at = lowered.find(word, at + len(word))
    if candidates:
        lines = text.splitlines()
        for number in sorted(candidates - found.keys()):
            if number <= len(lines):
                hit = _assignment(lines[number - 1][:2000], config)
                if hit is not None:
                    found[number] = hit
    return [SecretHit(line, detail) for line, detail in sorted(found.items())]


def _assignment(line: str, config: bool) -> str | None:
    matches = list(_ASSIGNED.finditer(line))
    if config and (bare := _BARE.match(line)):
        matches.append(bare)
    for match in matches:
        key, value = match.group("key"), match.group("value")
        last = re.split(r"[.\-$]", key)[-1] or key
        if not _KEY_IS_SECRET.search(last) or _KEY_IS_NOT.search(last):
            continue
        if _looks_real(value):
            return f"{last} assigned a literal ({_mask(value)})"
    return None


def _looks_real(value: str) -> bool:
    if _PLACEHOLDER.search(value) or "|" in value or len(set(value)) <= 2:
        return False
    if re.fullmatch(r"[A-Za-z_.\-]+", value) and _KEY_IS_SECRET.search(value):
        return False  # a name such as "auth_token" or "user.password": a key, not a secret
    if re.fullmatch(r"[\w.\-]+\.(?:pem|key|json|p12|crt|txt)", value):
        return False  # a file name
    if value.startswith(("http://", "https://", "/", "./")) and "@" not in value:
        return False
    mixes = [
        any(c.isdigit() for c in value) and any(c.isalpha() for c in value),
        any(c.isupper() for c in value) and any(c.islower() for c in value),
        any(not c.isalnum() and c not in "_-." for c in value),
    ]
    return any(mixes)


def _mask(secret: str) -> str:
    return secret[:4] + "…" if len(secret) > 8 else "…"
