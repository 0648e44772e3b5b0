"""OLLAMA_HOST parsing: the same table as ollama-python's ``_parse_host``, plus the Go rewrite."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

import hfollama_widgets as hfw
from hfollama_widgets.ollama import default_host, parse_host


def _official_doctest_table() -> list[tuple[str | None, str]]:
    """The (input, expected) pairs from the doctests of the official client's ``_parse_host``."""
    # `ollama._client` is shadowed by a Client instance in `ollama/__init__`: import the module.
    official = importlib.import_module("ollama._client")
    source = inspect.getsource(official._parse_host)
    pairs = re.findall(r">>> _parse_host\((.*?)\)\n\s*'(.*?)'", source)
    return [(eval(arg), expected) for arg, expected in pairs]


OFFICIAL = _official_doctest_table()


def test_the_official_table_was_found() -> None:
    assert len(OFFICIAL) >= 20  # the table is there (the regex did not silently match nothing)


@pytest.mark.parametrize(("value", "expected"), OFFICIAL, ids=[repr(v) for v, _ in OFFICIAL])
def test_matches_ollama_python_doctests(value: str | None, expected: str) -> None:
    assert parse_host(value) == expected


@pytest.mark.parametrize(
    "value",
    ["localhost", "10.0.0.5:8080", "https://ollama.example.org", "[::1]:11434/base/", "h:1/a/b"],
)
def test_matches_ollama_python_on_more_values(value: str) -> None:
    official = importlib.import_module("ollama._client")
    assert parse_host(value) == official._parse_host(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.0.0.0", "http://127.0.0.1:11434"),
        ("0.0.0.0:9999", "http://127.0.0.1:9999"),
        ("http://0.0.0.0", "http://127.0.0.1:80"),
        ("[::]", "http://[::1]:11434"),
        ("[::]:9999", "http://[::1]:9999"),
        ("::", "http://[::1]:11434"),
        ("::1", "http://[::1]:11434"),
    ],
)
def test_unspecified_addresses_become_loopback(value: str, expected: str) -> None:
    # The Go side's ConnectableHost(): a listen-everywhere address is not dialable.
    assert parse_host(value) == expected


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_host("  127.0.0.1:1234 \n") == "http://127.0.0.1:1234"


def test_bad_port_names_the_rule() -> None:
    with pytest.raises(ValueError, match="port"):
        parse_host("example.com:notaport")


def test_default_comes_from_ollama_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert default_host() == "http://127.0.0.1:11434"
    monkeypatch.setenv("OLLAMA_HOST", "0.0.0.0:5555")
    assert default_host() == "http://127.0.0.1:5555"
    with hfw.Client() as client:
        assert client.host == "http://127.0.0.1:5555"
    with hfw.Client("example.com") as client:  # an explicit host wins over the variable
        assert client.host == "http://example.com:11434"
