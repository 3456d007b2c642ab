import pytest

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
