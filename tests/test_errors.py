"""The error base class: message + fix as readable text, and tokens never shown."""

from __future__ import annotations

import pytest

import hfollama_widgets as hfw
from hfollama_widgets.errors import HFOllamaError, redact


def test_str_joins_message_and_fix_as_sentences() -> None:
    # server text often has no final period: the fix must not run into it
    err = hfw.StreamError("Ollama reported an error: model runner crashed", fix="Retry.")
    assert str(err) == "Ollama reported an error: model runner crashed. Retry."
    assert str(HFOllamaError("It failed.", fix="Retry.")) == "It failed. Retry."
    assert str(HFOllamaError("Is it up?", fix="Start it.")) == "Is it up? Start it."
    assert str(HFOllamaError("No fix here")) == "No fix here"
    assert err.message == "Ollama reported an error: model runner crashed"  # fields untouched


def test_redact_removes_given_secrets_env_tokens_and_token_shapes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_TOKEN", "plain-secret-9")  # not hf_-shaped: removed by value
    text = (
        "sent plain-secret-9, mine-42, hf_AbCdEf0123456789 and "
        "Authorization: Bearer sk-anything in the request"
    )
    out = redact(text, "mine-42", None)
    for secret in ("plain-secret-9", "mine-42", "hf_AbCdEf0123456789", "sk-anything"):
        assert secret not in out
    assert out.startswith("sent ***, ***, *** and ") and out.endswith(" in the request")


def test_errors_redact_their_message_and_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_API_KEY", "ollama-key-123")
    err = hfw.OllamaServerError(
        "failed for token hf_AbCdEf0123456789", fix="do not use ollama-key-123 here"
    )
    data = err.to_dict()
    assert data["type"] == "OllamaServerError"
    assert "hf_AbCdEf" not in str(err) and "ollama-key-123" not in str(err)
    assert "hf_AbCdEf" not in (data["message"] or "") and "ollama-key" not in (data["fix"] or "")
