import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tats_core.github import url
from tats_core.github.url import InvalidRepoUrl, parse_repo_url


@pytest.mark.parametrize(
    "written",
    [
        "https://github.com/Acme/Take-Home",
        "https://github.com/Acme/Take-Home/",
        "https://github.com/Acme/Take-Home.git",
        "http://www.github.com/Acme/Take-Home",
        "github.com/Acme/Take-Home",
        "  https://GitHub.com/Acme/Take-Home?tab=readme-ov-file#setup ",
        "git@github.com:Acme/Take-Home.git",
        "ssh://git@github.com/Acme/Take-Home",
        "<https://github.com/Acme/Take-Home>",
        "https://github.com/Acme/Take-Home/pulls",
        "Acme/Take-Home",  # the shorthand people write in text
        "Acme/Take-Home.git",
    ],
)
def test_every_written_form_normalises_to_owner_repo(written):
    ref = parse_repo_url(written)
    assert ref.full_name == "Acme/Take-Home"
    assert ref.key == "acme/take-home"
    assert ref.path is None


def test_tree_url_keeps_ref_and_subdirectory():
    ref = parse_repo_url("https://github.com/acme/monorepo/tree/main/backend/api")
    assert (ref.full_name, ref.ref, ref.path) == ("acme/monorepo", "main", "backend/api")
    blob = parse_repo_url("https://github.com/acme/monorepo/blob/dev/svc/README.md")
    assert (blob.ref, blob.path) == ("dev", "svc")


@pytest.mark.parametrize(
    ("written", "reason"),
    [
        ("", "empty"),
        (None, "empty"),
        ("https://github.com/someone", "profile"),
        ("https://gist.github.com/someone/abc123", "gist"),
        ("https://someone.github.io/project", "Pages"),
        ("https://gitlab.com/acme/take-home", "a link to gitlab.com, not to GitHub"),
        ("+1 555 123 4567", r"not a GitHub repository \(expected https://github.com/owner/repo"),
        ("Ada Lovelace", "not a GitHub repository"),
        ("example.com/acme/app", "a link to example.com"),
        ("https://github.com/settings/profile", "GitHub page"),
        ("https://github.com/orgs/acme/repositories", "GitHub page"),
        ("https://github.com/-bad-/repo", "owner"),
        ("https://github.com/acme/bad repo", "repository name"),
        ("https://github.com/", "not to a repository"),
    ],
)
def test_non_repository_values_are_rejected_with_a_reason(written, reason):
    with pytest.raises(InvalidRepoUrl, match=reason):
        parse_repo_url(written)


def outcome(parse, text: str) -> object:
    try:
        return parse(text)
    except InvalidRepoUrl as exc:
        return f"invalid: {exc}"


PIECES = [*"aZ09-_.", "git", "GIT", "settings", "%20", " ", "é"]
SEGMENT = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
# Mostly valid owners, so that the repository name's own checks are reached.
OWNER = st.one_of(st.sampled_from(["ada", "Ada-L", "a1", "orgs", "Settings"]), SEGMENT)


@settings(max_examples=600, deadline=None)
@given(
    prefix=st.sampled_from(["", "https://", "http://", "HTTPS://www.", "www.", "https://WWW."]),
    host=st.sampled_from(["github.com", "GitHub.com", "github.co"]),
    owner=OWNER,
    name=SEGMENT,
    tail=st.sampled_from(["", "/", "//", "?tab=readme", "#readme", "/?x=1", ".git", ".GIT/"]),
)
def test_the_quick_path_answers_exactly_as_the_general_one(prefix, host, owner, name, tail):
    # A large upload's rows mostly take the quick path: it must never answer otherwise than
    # the path every other form takes, valid or not, reason included.
    text = f"{prefix}{host}/{owner}/{name}{tail}"
    assert outcome(parse_repo_url, text) == outcome(url._parse_any, text.strip())
