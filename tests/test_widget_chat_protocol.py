"""ChatWidget's traffic is proportional to what is new (issue 13), against FakeOllama over HTTP.

What goes to the page is observed on the widget's comm ``send`` (the transport), as in
``bench/stream_messages.py``; the widget's own code is not mocked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from test_widget_chat import LLAMA, CommSpy, wait_until

from hfollama_widgets.ollama import Client
from hfollama_widgets.widgets.chat import ChatWidget
from hfollama_widgets.widgets.chat.stream import TextParts

WEATHER_CALL = {
    "id": "call_x1y2z3a4",
    "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Tokyo"}},
}


@pytest.fixture()
def ollama_url(fake_ollama: Any) -> str:
    fake_ollama.pull_speed = 10**12
    Client(fake_ollama.url).pull(LLAMA)
    return str(fake_ollama.url)


def conversation(turns: int) -> list[dict[str, str]]:
    """``turns`` finished turns, each with text that marks it (to look for in what is sent)."""
    out: list[dict[str, str]] = []
    for i in range(turns):
        out.append({"role": "user", "content": f"question-marker-{i:03d}"})
        out.append({"role": "assistant", "content": f"answer-marker-{i:03d} " * 20})
    return out


def turn_traffic(chat: ChatWidget, text: str) -> tuple[CommSpy, dict[str, Any]]:
    spy = CommSpy(chat)
    chat.send(text)
    final = chat.wait(timeout=60)
    assert final is not None and final["error"] is None
    return spy, final


def test_turn_100_sends_no_history(ollama_url: str) -> None:
    first = ChatWidget(Client(ollama_url), LLAMA)
    spy1, final1 = turn_traffic(first, "echo: the same reply on both turns")
    late = ChatWidget(Client(ollama_url), LLAMA, messages=conversation(99))
    assert len(late.history) == 198
    spy100, final100 = turn_traffic(late, "echo: the same reply on both turns")
    assert final100["content"] == final1["content"]
    sent = json.dumps(spy100.sent)
    assert "marker" not in sent  # no earlier message went out again
    # turn 100 costs what turn 1 costs (ids and offsets differ by a few digits)
    assert abs(spy100.bytes - spy1.bytes) <= 16 * len(spy100.sent)
    assert len(spy100.sent) == len(spy1.sent)
    # and the conversation is all in Python, the reply appended
    assert len(late.history) == 200 and late.messages[-1]["content"] == final100["content"]
    first.close()
    late.close()


def test_a_view_that_renders_asks_once_and_gets_everything(
    ollama_url: str, fake_ollama: Any
) -> None:
    chat = ChatWidget(Client(ollama_url), LLAMA, messages=conversation(3))
    fake_ollama.token_rate = 40
    spy = CommSpy(chat)
    chat.send("Write a long story.")
    wait_until(lambda: len(spy.custom("delta")) >= 2)
    chat._handle_custom_msg({"type": "sync", "view": "late-1"}, [])
    (answer,) = [m for m in spy.custom("log") if m.get("view") == "late-1"]
    assert [e["content"] for e in answer["add"]][-1] == "Write a long story."
    assert len(answer["add"]) == 7 and answer["live"] == chat.streaming
    # the live text in the answer is exactly what the deltas before it carried
    before = spy.sent.index(next(m for m in spy.sent if m.get("content") is answer))
    text = "".join(d["content"] for d in spy.custom("delta") if d["index"] < before)
    assert answer["content"] == text
    # and the deltas after it go on from its end
    fake_ollama.token_rate = 10_000
    final = chat.wait(timeout=60)
    assert final is not None
    after = [d for d in spy.custom("delta") if d["index"] > before]
    assert after and after[0]["content_at"] == len(answer["content"])
    assert answer["content"] + "".join(d["content"] for d in after) == final["content"]
    chat.close()


def test_clear_regenerate_and_assignment_reach_the_views(ollama_url: str) -> None:
    chat = ChatWidget(Client(ollama_url), LLAMA)
    chat.send("Hi")
    chat.wait(timeout=30)
    spy = CommSpy(chat)
    chat.regenerate()
    chat.wait(timeout=30)
    regen = spy.custom("log")[0]
    assert regen["keep"] == 1 and regen["add"] == [] and regen["live"]
    chat.history = chat.history[:1]  # from Python: the views get the new list, once
    assigned = spy.custom("log")[-1]
    assert assigned["keep"] == 0 and [e["content"] for e in assigned["add"]] == ["Hi"]
    chat.clear()
    assert spy.custom("log")[-1] == {"type": "log", "keep": 0, "add": [], "live": None}
    assert chat.history == []
    chat.close()


def test_tools_are_sent_only_when_given(ollama_url: str, fake_ollama: Any) -> None:
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {}}}]
    for given in (None, tools):
        chat = ChatWidget(Client(ollama_url), LLAMA, tools=given)
        chat.send("Weather in Tokyo?")
        chat.wait(timeout=30)
        wait_until(lambda: any(r.path == "/api/chat" for r in fake_ollama.requests))
        body = [r for r in fake_ollama.requests if r.path == "/api/chat"][-1].body
        if given is None:
            assert "tools" not in body
        else:
            assert body["tools"] == tools
        fake_ollama.requests.clear()
        chat.close()


class ToolCallingServer:
    """Stands in for hfw.Client: one streamed reply whose chunks carry ``message.tool_calls``
    the way Ollama sends them (each call whole in one chunk; api/types.go ``ToolCall``,
    docs/api.md "Streaming with tools")."""

    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def chat(self, model: str, messages: Any, **kw: Any) -> Iterator[dict[str, Any]]:
        self.kwargs = kw
        yield {"message": {"role": "assistant", "content": "", "tool_calls": [WEATHER_CALL]}}
        yield {"message": {"role": "assistant", "content": "Checking."}, "done": False}
        yield {"message": {"role": "assistant", "content": ""}, "done": True, "eval_count": 2}


def test_tool_calls_are_kept_in_the_messages() -> None:
    server = ToolCallingServer()
    tools = [{"type": "function", "function": {"name": "get_weather"}}]
    chat = ChatWidget(server, "m", tools=tools)  # type: ignore[arg-type]
    spy = CommSpy(chat)
    chat.send("Weather?")
    final = chat.wait(timeout=10)
    assert final is not None and final["tool_calls"] == [WEATHER_CALL]
    assert server.kwargs["tools"] == tools
    assert chat.messages[-1] == {
        "role": "assistant",
        "content": "Checking.",
        "tool_calls": [WEATHER_CALL],
    }
    assert spy.custom("end")[0]["entry"]["tool_calls"] == [WEATHER_CALL]
    chat.close()


def test_text_parts_join_to_the_text() -> None:
    parts, text = TextParts(), ""
    for i in range(500):
        piece = f"t{i} " if i % 7 else ""
        parts.append(piece)
        text += piece
        assert parts.since(max(0, len(text) - 11)) == text[max(0, len(text) - 11) :]
    assert str(parts) == text and len(parts) == len(text) and parts.since(len(text)) == ""
