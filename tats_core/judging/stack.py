"""The technology stack: which languages and frameworks a job description asks for, which a
repository shows (GitHub's language bytes, source files, root manifests), and how they compare.

Framework evidence comes from root manifests and file names only, so "not seen" means "not
visible from the snapshot", never "absent".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# (canonical language, pattern in a job description). Go is matched case-sensitively: "go" is a verb.
JOB_LANGUAGES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern, flags))
    for name, pattern, flags in (
        ("Python", r"\b(python|django|flask|fastapi|pandas|jupyter)\b", re.I),
        ("Java", r"\b(java(?!script)|spring( boot)?)\b", re.I),
        ("Kotlin", r"\bkotlin\b", re.I),
        ("Go", r"\b(Go|golang|Golang)\b", 0),
        ("TypeScript", r"\btypescript\b", re.I),
        (
            "JavaScript",
            r"\b(javascript|node(\.?js)?|express|react|vue(\.js)?|angular|next\.js)\b",
            re.I,
        ),
        ("Ruby", r"\b(ruby|rails)\b", re.I),
        ("PHP", r"\b(php|laravel|symfony)\b", re.I),
        ("C#", r"(\bc#|\.net\b|\bdotnet\b|\basp\.net)", re.I),
        ("Scala", r"\bscala\b", re.I),
        ("Rust", r"\brust\b", re.I),
        ("Swift", r"\bswift\b", re.I),
        ("C++", r"\bc\+\+", re.I),
        ("Elixir", r"\belixir\b", re.I),
    )
)
ANY_LANGUAGE = re.compile(
    r"\b(any|your (preferred|favou?rite)) (programming )?language\b|language of your choice", re.I
)
# Languages that satisfy each other for a job that names one of them.
FAMILIES = ({"JavaScript", "TypeScript"}, {"Java", "Kotlin"}, {"C#", "F#"})

# (framework, pattern in a job, pattern in manifests, pattern in tree paths)
FRAMEWORKS: tuple[tuple[str, str, str | None, str | None], ...] = (
    ("React", r"\breact\b", r'"react"\s*:', r"\.(jsx|tsx)$"),
    ("Redux", r"\bredux\b", r'"(@reduxjs/toolkit|redux|react-redux)"\s*:', None),
    ("Vue", r"\bvue(\.js)?\b", r'"vue"\s*:', r"\.vue$"),
    ("Angular", r"\bangular\b", r'"@angular/core"', r"angular\.json$"),
    ("Next.js", r"\bnext\.?js\b", r'"next"\s*:', r"^next\.config\.\w+$"),
    ("Express", r"\bexpress\b", r'"express"\s*:', None),
    ("NestJS", r"\bnest\.?js\b", r'"@nestjs/core"', None),
    (
        "Spring Boot",
        r"\bspring\b",
        r"spring-boot",
        r"src/main/resources/application[\w-]*\.(properties|ya?ml)$",
    ),
    ("Rails", r"\brails\b", r"gem ['\"]rails['\"]", r"^config/routes\.rb$"),
    ("Django", r"\bdjango\b", r"(?i)\bdjango\b", r"(^|/)manage\.py$"),
    ("Flask", r"\bflask\b", r"(?i)\bflask\b", None),
    ("FastAPI", r"\bfastapi\b", r"(?i)\bfastapi\b", None),
    ("Laravel", r"\blaravel\b", r"laravel/framework", r"^artisan$"),
    (".NET", r"(\.net\b|\bc#|\bdotnet\b|\basp\.net)", None, r"\.(csproj|sln|fsproj)$"),
    ("PostgreSQL", r"\bpostgres(ql)?\b", r'(?i)postgres|psycopg|"pg"\s*:|pgx|npgsql', None),
    ("MongoDB", r"\bmongo(db)?\b", r"(?i)mongo", None),
    ("Redis", r"\bredis\b", r"(?i)redis", None),
    ("Docker", r"\bdocker\b", None, r"(^|/)(Dockerfile|docker-compose\.ya?ml|compose\.ya?ml)$"),
)


def job_languages(description: str) -> list[str]:
    """Languages the job names; none when it allows any language."""
    if not description or ANY_LANGUAGE.search(description):
        return []
    return [name for name, pattern in JOB_LANGUAGES if pattern.search(description)]


def job_frameworks(description: str) -> list[str]:
    return [name for name, job, _, _ in FRAMEWORKS if re.search(job, description or "", re.I)]


def repo_frameworks(manifests: dict[str, str], paths: Iterable[str]) -> list[str]:
    text = "\n".join(manifests.values())
    path_list = list(paths)
    found = []
    for name, _, manifest_re, path_re in FRAMEWORKS:
        in_manifest = bool(manifest_re and re.search(manifest_re, text))
        in_paths = bool(path_re and any(re.search(path_re, p) for p in path_list))
        if in_manifest or in_paths:
            found.append(name)
    return found


def language_match(wanted: list[str], present: Iterable[str]) -> bool | None:
    """True when the repository is written in a language the job names; None if it names none."""
    if not wanted:
        return None
    have = set(present)
    for language in wanted:
        family = next((f for f in FAMILIES if language in f), {language})
        if have & family:
            return True
    return False
