"""Secret redaction before anything reaches long-term memory (pure logic, no models)."""

from __future__ import annotations

import pytest

from jarvis.redact import MARK, looks_secret, redact

SECRETS = [
    ("my OpenAI key is sk-proj-abcdefghijklmnopqrstuvwx12345", "sk-proj-abcdefghijklmnopqrstuvwx12345"),
    ("use sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv for claude", "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv"),
    ("password: hunter2", "hunter2"),
    ("the wifi password is Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("The wifi password for the office is GreenTea42", "GreenTea42"),
    ("API_KEY=abc123def456", "abc123def456"),
    ("export GITHUB_TOKEN='zzTopSecret99'", "zzTopSecret99"),
    ("mi contraseña es perro123", "perro123"),
    ("Authorization: Bearer abcdefghijklmnopqrstuv", "abcdefghijklmnopqrstuv"),
    ("connect to postgres://bob:s3cretPw@db.local/app", "s3cretPw"),
    ("my token is ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
    ("aws AKIAABCDEFGHIJKLMNOP here", "AKIAABCDEFGHIJKLMNOP"),
    ("slack xoxb-123456789012-abcdefghij", "xoxb-123456789012-abcdefghij"),
    ("google AIzaSyA1234567890abcdefghijklmnopqrstu", "AIzaSyA1234567890abcdefghijklmnopqrstu"),
    ("Remember my bank PIN number is 4512", "4512"),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFU",
        "eyJhbGciOiJIUzI1NiJ9",
    ),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA"),
]

HARMLESS = [
    "My dog is called Biscuit",
    "the password is not set",
    "I like tokens of appreciation",
    "The secret to good bread is time",
    "My favourite colour is teal and I was born in 1984",
    "Ask me for the password later",
]


@pytest.mark.parametrize(("text", "secret"), SECRETS)
def test_secret_is_redacted(text: str, secret: str) -> None:
    clean, n = redact(text)
    assert secret not in clean
    assert MARK in clean
    assert n >= 1
    assert looks_secret(text)


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_is_kept(text: str) -> None:
    assert redact(text) == (text, 0)
    assert not looks_secret(text)


@pytest.mark.parametrize("text", [t for t, _ in SECRETS])
def test_redaction_is_idempotent(text: str) -> None:
    once, _ = redact(text)
    assert redact(once) == (once, 0)


def test_context_around_a_secret_survives() -> None:
    clean, n = redact("My wifi password is hunter22 and my dog is Biscuit")
    assert clean == f"My wifi password is {MARK} and my dog is Biscuit"
    assert n == 1


def test_api_key_from_environment_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "plainlookingvalue12345")
    clean, n = redact("I pasted plainlookingvalue12345 somewhere")
    assert "plainlookingvalue12345" not in clean and n == 1
