"""http-01 responses (RFC 8555 §8.3): the challenge directory, and the plain ``http``
listener's app answering ``/.well-known/acme-challenge/<token>`` while still redirecting
everything else to HTTPS."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from courriel.acme.challenges import ChallengeDirectory
from courriel.web.app import redirect_app

TOKEN = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"
ANSWER = f"{TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"


@pytest.fixture
def challenges(tmp_path: Path) -> ChallengeDirectory:
    return ChallengeDirectory(tmp_path / "acme" / "http-01")


def test_publish_serve_and_withdraw(challenges: ChallengeDirectory) -> None:
    assert challenges.key_authorization(TOKEN) is None
    challenges.publish(TOKEN, ANSWER)
    assert challenges.key_authorization(TOKEN) == ANSWER.encode()
    challenges.withdraw(TOKEN)
    assert challenges.key_authorization(TOKEN) is None
    challenges.withdraw(TOKEN)  # twice is fine


@pytest.mark.parametrize("token", ["../../courriel.toml", "..", "a/b", "", "x" * 300])
def test_nothing_but_a_token_is_a_file_name(
    challenges: ChallengeDirectory, tmp_path: Path, token: str
) -> None:
    # Files where a path taken from the token would lead: none may be read.
    (tmp_path / "courriel.toml").write_text("secret")
    (tmp_path / "acme" / "http-01" / "a").mkdir(parents=True)
    (tmp_path / "acme" / "http-01" / "a" / "b").write_text("secret")
    assert challenges.key_authorization(token) is None
    with pytest.raises(ValueError, match="not an ACME token"):
        challenges.publish(token, ANSWER)


def plain_http(challenges: ChallengeDirectory | None, https_port: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=redirect_app(https_port, challenges)),
        base_url="http://mail.example.org",
    )


async def test_http_listener_answers_the_challenge_and_redirects_the_rest(
    challenges: ChallengeDirectory,
) -> None:
    challenges.publish(TOKEN, ANSWER)
    async with plain_http(challenges, 8443) as client:
        answer = await client.get(f"/.well-known/acme-challenge/{TOKEN}")
        assert answer.status_code == 200
        assert answer.content == ANSWER.encode()
        assert answer.headers["content-type"] == "application/octet-stream"

        unknown = await client.get("/.well-known/acme-challenge/" + "A" * 43)
        assert unknown.status_code == 404
        challenges.path.parent.parent.joinpath("courriel.toml").write_text("secret")
        traversal = await client.get("/.well-known/acme-challenge/..%2F..%2Fcourriel.toml")
        assert traversal.status_code == 404 and b"secret" not in traversal.content
        assert (await client.post(f"/.well-known/acme-challenge/{TOKEN}")).status_code == 405

        other = await client.get("/login?next=%2F")
        assert other.status_code == 301
        assert other.headers["location"] == "https://mail.example.org:8443/login?next=%2F"


async def test_without_a_challenge_directory_the_path_is_redirected_like_any_other() -> None:
    async with plain_http(None, 443) as client:
        answer = await client.get(f"/.well-known/acme-challenge/{TOKEN}")
        assert answer.status_code == 301
