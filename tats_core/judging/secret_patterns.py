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
from dataclasses import dataclass


@dataclass(frozen=True)
class SecretHit:
    line: int
    detail: str


_TOKENS: list[tuple[str, re.Pattern[str]]] = [
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    (
        "AWS secret access key",
        re.compile(r"aws_?secret_?access_?key\W{0,4}[=:]\s*[\"']?[A-Za-z0-9/+=]{40}\b", re.I),
    ),
    (
        "private key block",
        re.compile(
            r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----"
        ),
    ),
    (
        "GitHub token",
        re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_\w{60,}"),
    ),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Slack webhook", re.compile(r"https://hooks\.slack\.com/services/T\w+/B\w+/\w+")),
    ("Stripe key", re.compile(r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
]
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
    """Hard-coded secrets in one file, with their 1-based line."""
    hits: list[SecretHit] = []
    assignments = not is_test and not _FAKE_FILES.search(path.rsplit("/", 1)[-1])
    config = path.lower().endswith(_CONFIG_SUFFIXES) or "/.env" in f"/{path.lower()}"
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > 2000:
            line = line[:2000]  # minified bundles: the start is enough to spot a key
        hit = _token(line) or (_assignment(line, config) if assignments else None)
        if hit is not None:
            hits.append(SecretHit(number, hit))
    return hits


def _token(line: str) -> str | None:
    for kind, pattern in _TOKENS:
        match = pattern.search(line)
        if match and "EXAMPLE" not in match.group(0).upper():
            return f"{kind} ({_mask(match.group(0))})"
    return None


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
