"""GGUFBrowser shows what Pull and Chat open inside its own view: the children's state and
messages relayed through the browser (issue 14), against FakeHub / FakeOllama."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

import hfollama_widgets as hfw
from hfollama_widgets.widgets.browser import GGUFBrowser
from hfollama_widgets.widgets.chat.stream import DELTA_TAG

LLAMA = "bartowski/Llama-3.2-1B-Instruct-GGUF"


@pytest.fixture()
def hub(fake_hub: Any) -> Any:
    return hfw.Hub(endpoint=fake_hub.url)


@pytest.fixture()
def client(fake_ollama: Any) -> Any:
    return hfw.Client(fake_ollama.url)


def _until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)


def _msg(browser: GGUFBrowser, content: dict[str, Any]) -> None:
    """Deliver a front-end custom message like the comm does."""
    browser._handle_custom_msg(content, [])


def _browser(hub: Any, client: Any) -> GGUFBrowser:
    return GGUFBrowser(LLAMA, hub=hub, client=client, hardware=False).wait()


def test_pull_state_is_relayed_into_children(hub: Any, client: Any, fake_ollama: Any) -> None:
    fake_ollama.pull_speed = 2e9
    browser = _browser(hub, client)
    sent: list[Any] = []
    browser.send = sent.append  # type: ignore[method-assign]  # what goes to the page
    ref = browser.recommended
    assert ref is not None
    _msg(browser, {"type": "pull", "ref": ref})
    pull = browser.pull_widgets[ref]
    pid = f"pull:{ref}"
    assert browser.children[pid]["kind"] == "pull"
    assert pull.wait(timeout=60)["status"] == "success"
    _until(lambda: browser.children[pid]["state"]["state"] == "success")
    state = browser.children[pid]["state"]
    assert set(state) == set(pull.synced_names())  # the child's own traits, not anywidget's
    assert "_esm" not in state and "layout" not in state
    assert state["progress"] == pull.progress and state["error"] is None
    # the embedded view's Retry / Cancel reach the PullProgress through the browser
    _msg(browser, {"type": "child_msg", "id": pid, "content": {"type": "cancel"}})
    assert browser.error is None and pull.error is None


def test_embedded_chat_relays_messages_both_ways(hub: Any, client: Any, fake_ollama: Any) -> None:
    fake_ollama.pull_speed = 2e9
    browser = _browser(hub, client)
    ref = browser.recommended
    assert ref is not None
    browser.pull(ref).wait(timeout=60)
    chat = browser.chat(ref)
    sent: list[Any] = []
    browser.send = sent.append  # type: ignore[method-assign]  # what goes to the page
    cid = f"chat:{ref}"
    # the embedded view's settings and Send come back through the browser
    _msg(browser, {"type": "child_set", "id": cid, "state": {"system": "Be brief.", "x": 1}})
    assert chat.system == "Be brief."
    assert browser.children[cid]["state"]["system"] == "Be brief."
    _msg(browser, {"type": "child_msg", "id": cid, "content": {"type": "send", "text": "Hi"}})
    chat.wait(timeout=60)
    history = chat.history
    assert [m["role"] for m in history] == ["user", "assistant"]
    # the conversation is not in the relayed state (re-sent on every child change): the
    # embedded view gets what is new as the chat's own messages, relayed
    assert "history" not in browser.children[cid]["state"]
    relayed = [m["msg"] for m in sent if m.get("type") == "child" and m.get("id") == cid]
    # answer text goes as bare strings (no thinking here, so no ["d", ...] lists)
    assert not [m for m in relayed if isinstance(m, list) and m[0] == DELTA_TAG]
    deltas = [m for m in relayed if isinstance(m, str)]
    assert deltas and [m["type"] for m in relayed if isinstance(m, dict)] == ["log", "end"]
    assert "".join(deltas) == history[-1]["content"]
    # unknown children and messages are ignored
    _msg(browser, {"type": "child_msg", "id": "chat:nope", "content": {"type": "send"}})
    assert browser.error is None


def test_chat_after_a_pull_retried_as_huggingface_co(fake_hub: Any) -> None:
    """Current Ollama refuses a private hf.co/ pull (realm host check, ollama/ollama
    server/auth.go:60); the pull is retried as huggingface.co/ and the browser's Chat must open
    on the name the model was stored under, not the hf.co/ ref of the table."""
    from hfollama_widgets.testing import FakeOllama

    key = "hf_fake_token_for_tests"
    repo = "example-org/Private-Model-GGUF"
    fake = FakeOllama(hub=fake_hub, hf_token=key, pull_speed=1e12)
    with fake, hfw.Client(fake.url) as client:
        hub = hfw.Hub(endpoint=fake_hub.url, token=key)
        browser = GGUFBrowser(repo, hub=hub, client=client, hardware=False).wait()
        ref = browser.recommended
        assert ref is not None and ref.startswith("hf.co/")
        assert browser.pull(ref).wait(timeout=60) == {"status": "success"}
        stored = "huggingface.co/" + ref[len("hf.co/") :]
        assert [m["model"] for m in client.list()["models"]] == [stored]
        chat = browser.chat(ref)
        assert chat.model == stored
        chat.send("Hi")
        chat.wait(timeout=60)
        assert chat.error is None and chat.history[-1]["role"] == "assistant"


def test_chat_on_a_model_pulled_earlier_as_huggingface_co(fake_hub: Any) -> None:
    """A model pulled before this browser existed, under its huggingface.co/ name (the retry
    current Ollama needs for a private repo): the table marks its hf.co/ ref as in Ollama, so
    its Chat must open on the stored name (an hf.co/ chat would get Ollama's 404)."""
    from hfollama_widgets.testing import FakeOllama

    key = "hf_fake_token_for_tests"
    repo = "example-org/Private-Model-GGUF"
    fake = FakeOllama(hub=fake_hub, hf_token=key, pull_speed=1e12)
    with fake, hfw.Client(fake.url) as client:
        hub = hfw.Hub(endpoint=fake_hub.url, token=key)
        first = GGUFBrowser(repo, hub=hub, client=client, hardware=False).wait()
        ref = first.recommended
        assert ref is not None and ref.startswith("hf.co/")
        stored = "huggingface.co/" + ref[len("hf.co/") :]
        client.pull(stored)  # outside any browser
        browser = GGUFBrowser(repo, hub=hub, client=client, hardware=False).wait()
        df = browser.df
        assert df.loc[df["model_ref"] == ref, "in_ollama"].tolist() == [True]
        chat = browser.chat(ref)
        assert chat.model == stored
        chat.send("Hi")
        chat.wait(timeout=60)
        assert chat.error is None and chat.history[-1]["role"] == "assistant"
        # and a ref Ollama does not have opens as it is
        other = next(r["ref"] for r in browser.rows if r.get("ref") and not r.get("local"))
        assert browser.chat(other).model == other
