"""What a README tells a recruiter: how long it is, whether it says how to set up and run the
project, whether it is a generator's default or the assignment brief pasted back, and whether it
hides text aimed at an AI judge.

The README is untrusted text: this module only measures it with regular expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HTML_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u202a-\u202e\u2066-\u2069]")

SETUP_HEADING = re.compile(
    r"^#{1,6}\s*.*\b(setup|set up|install\w*|getting started|run\w*|usage|how to|build\w*|"
    r"quick ?start|start\w*|prerequisites|requirements|development|deploy\w*|docker|"
    r"instalaci[oó]n|ejecuci[oó]n|configuraci[oó]n|requisitos|instala[cç][aã]o|execu[cç][aã]o|"
    r"como (rodar|executar)|ausf[uü]hren|installation|lancer|d[ée]marrage)\b",
    re.I | re.M,
)
# Searched only in code (fenced blocks, inline code, "$ " lines), so prose like "make sure" or
# "Python developer" is not taken for a command.
SETUP_COMMAND = re.compile(
    r"(?<![\w/-])(npm (install|i|ci|start|run|test)|yarn( install| start| dev| test| build)?\b|"
    r"pnpm (install|i|dev|start|test|run)|npx \w|bun (install|run|dev)|pip3? install|"
    r"poetry (install|run)|pipenv (install|run)|uv (sync|run)|python3? (-m \w+|[\w./-]+\.py)|"
    r"uvicorn |flask run|mvn |\./mvnw|gradlew? |\./gradlew|java -jar|go (run|build|test|mod)|"
    r"cargo (run|build|test)|dotnet (run|build|test|restore|ef)|docker[- ]compose |"
    r"docker (run|build|compose)|bundle (install|exec)|rails (s|server|db:\w+)\b|rake |rspec\b|"
    r"composer install|php artisan|make [\w-]{2,}|sbt |deno (run|task)|php -S)"
)
CODE_SPANS = re.compile(
    r"```.*?(```|\Z)|~~~.*?(~~~|\Z)|`[^`\n]+`|^[ \t]*\$ [^\n]*|^(    |\t)[^\n]*", re.S | re.M
)
CODE_FENCE = re.compile(r"^\s*(```|~~~)", re.M)

# Defaults written by project generators: the candidate has not written a README of their own.
BOILERPLATE = re.compile(
    r"(bootstrapped with \[?create react app|getting started with create react app|"
    r"bootstrapped with \[?`?create-next-app|this template provides a minimal setup|"
    r"this readme would normally document whatever steps|generated with \[?angular cli|"
    r"a progressive \[?node\.js\]? framework|this project was generated with|"
    r"run the development server:)",
    re.I,
)

# Text written *to* a candidate: the assignment brief pasted back instead of the candidate's own.
BRIEF_MARKERS = (
    r"\byour (task|solution|implementation|submission|code)\b",
    r"\byou (should|will need|must|are expected|are asked|need to|have to)\b",
    r"\bwe(?:'d| would) like you\b",
    r"\bthanks? (you )?for taking the time\b",
    r"\bplease (return|submit|send) your\b",
    r"\bfeel free to\b",
    r"^#{1,6}\s*(the )?(task|assignment|aufgabe|submission guidelines)\s*$",
    r"\b(aufgabe|assignment|tarea|tarefa)\s*:",
    r"\bdu (kannst|sollst|musst)\b|\bdeine l[oö]sung\b",
    r"\b(debes|deber[aá]s|tu soluci[oó]n)\b|\bvoc[eê] deve\b|\bvous devez\b",
)
BRIEF_MARKER_RES = tuple(re.compile(p, re.I | re.M) for p in BRIEF_MARKERS)
# Headings only the candidate writes; a brief with one of these has been answered in place.
OWN_HEADING = re.compile(
    r"^#{1,6}\s*.*\b(solution|approach|decisions?|assumptions|trade-?offs|my notes|what i|"
    r"how i|improvements|future work|architecture|project structure|soluci[oó]n|l[oö]sung)\b",
    re.I | re.M,
)

INJECTION = (
    r"ignore (all |any |the )?(previous|prior|above|earlier) (instructions|prompts?|rules)",
    r"disregard (all |any |the )?(previous|prior|above|earlier)",
    r"(rate|score|grade|evaluate|mark) (this|the) (candidate|repo\w*|submission|project) (as|with|a)",
    r"\blooks_fine\b",
    r"you are (now )?(an? )?(ai|language model|llm|assistant|evaluator|reviewer|grader)\b",
    r"\bsystem prompt\b",
    r"(give|assign) (this|the)? ?(candidate|repo\w*|submission)? ?(a )?(high|top|perfect|maximum|"
    r"full) (score|marks|rating)",
    r"\b(ai|llm|model) (reviewer|evaluator|judge|grader)s?\b",
)
INJECTION_RES = tuple(re.compile(p, re.I) for p in INJECTION)


@dataclass
class ReadmeFacts:
    chars: int = 0
    has_setup: bool = False
    setup_evidence: list[str] = field(default_factory=list)
    boilerplate: bool = False
    is_brief: bool = False
    injection_phrases: list[str] = field(default_factory=list)
    hidden_text: bool = False


def visible_text(text: str) -> str:
    """What GitHub renders: no HTML comments, no invisible characters."""
    return INVISIBLE.sub("", HTML_COMMENT.sub("", text)).strip()


def injection_phrases(text: str) -> list[str]:
    """Phrases aimed at an AI judge, searched in the raw text (hidden parts included)."""
    raw, visible = INVISIBLE.sub("", text), visible_text(text)
    found: list[str] = []
    for pattern in INJECTION_RES:
        match = pattern.search(raw)
        if match:
            hidden = "" if pattern.search(visible) else " (hidden in an HTML comment)"
            found.append(match.group(0)[:80] + hidden)
    return found


def has_hidden_text(text: str) -> bool:
    """HTML comments or invisible characters: text a model reads and a recruiter does not see."""
    body = text.lstrip("\ufeff")  # a byte-order mark is an editor's habit, not hiding
    return bool(INVISIBLE.search(body)) or any(
        len(m.group(0)) > 12 for m in HTML_COMMENT.finditer(body)
    )


def analyse_readme(text: str | None) -> ReadmeFacts:
    if not text:
        return ReadmeFacts()
    visible = visible_text(text)
    evidence: list[str] = []
    for match in SETUP_HEADING.finditer(visible):
        evidence.append("heading: " + match.group(0).lstrip("# ").strip()[:60])
        break
    commands: list[str] = []
    code = "\n".join(m.group(0) for m in CODE_SPANS.finditer(visible))
    for match in SETUP_COMMAND.finditer(code):
        command = match.group(0).strip()
        if command not in commands:
            commands.append(command)
    evidence += ["command: " + c for c in commands[:3]]
    has_setup = bool(commands) or bool(evidence and CODE_FENCE.search(visible))
    markers = sum(1 for pattern in BRIEF_MARKER_RES if pattern.search(visible))
    return ReadmeFacts(
        chars=len(visible),
        has_setup=has_setup,
        setup_evidence=evidence,
        boilerplate=bool(BOILERPLATE.search(visible)),
        is_brief=markers >= 2 and not OWN_HEADING.search(visible),
        injection_phrases=injection_phrases(text),
        hidden_text=has_hidden_text(text),
    )
