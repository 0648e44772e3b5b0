"""ChatWidget logic against FakeOllama over real HTTP (no browser).

What goes to the browser is observed by wrapping the widget's comm ``send`` (the transport), never
by mocking the widget's own code. Expected texts come from the official ``ollama`` client asking
the same FakeOllama the same question, not from the implementation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import ollama
import pytest

from hfollama_widgets.errors import ChatBusyError, HFOllamaError
from hfollama_widgets.ollama import Client
from hfollama_widgets.widgets.chat import ChatWidget
from hfollama_widgets.widgets.chat.stream import DELTA_TAG, ReplyDelta, ReplyRun

LLAMA = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
QWEN = "hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M"


class CommSpy:
    """Records every comm message the widget sends to the front end (data dicts and JSON bytes)."""

    def __init__(self, widget: ChatWidget) -> None:
        self.sent: list[dict[str, Any]] = []
        self.bytes = 0
        original = widget.comm.send

        def send(data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
            self.sent.append(data)
            self.bytes += len(json.dumps(data, default=str))
            original(data=data, metadata=metadata, buffers=buffers)

        widget.comm.send = send

    def custom(self, kind: str) -> list[dict[str, Any]]:
        """The custom messages of one kind. Deltas are decoded the way a view reads them: a bare
        string continues the live reply (the last ``log`` not answering a view named it), a list
        carries its id and offsets; each as a dict with its ``index`` in ``sent``."""
        out = []
        live, c_len, t_len = None, 0, 0
        for index, m in enumerate(self.sent):
            content = m.get("content") if m.get("method") == "custom" else None
            is_turn = isinstance(content, dict) and content.get("type") == "log"
            if is_turn and "view" not in content and content.get("live") != live:
                live, c_len, t_len = content.get("live"), 0, 0
            if kind == "delta" and isinstance(content, str):
                d = ReplyDelta(content, c_len, "", t_len)
            elif kind == "delta" and isinstance(content, list) and content[0] == DELTA_TAG:
                d = ReplyDelta.from_message(content)
                assert content[1] == live, "a delta of a reply that is not live"
            else:
                if isinstance(content, dict) and content.get("type") == kind:
                    out.append(content)
                continue
            assert live is not None, "a delta with no live reply"
            c_len, t_len = d.content_at + len(d.content), d.thinking_at + len(d.thinking)
            out.append({"id": live, "index": index, **vars(d)})
        return out

    def updates(self) -> list[dict[str, Any]]:
        return [m["state"] for m in self.sent if m.get("method") == "update"]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.fixture()
def ollama_url(fake_ollama: Any) -> str:
    fake_ollama.pull_speed = 10**12
    client = Client(fake_ollama.url)
    for model in (LLAMA, QWEN):
        client.pull(model)
    return str(fake_ollama.url)


@pytest.fixture()
def chat(ollama_url: str) -> Iterator[ChatWidget]:
    widget = ChatWidget(Client(ollama_url), LLAMA)
    yield widget
    widget.stop()
    widget.close()


def official_reply(url: str, model: str, messages: list[dict[str, str]], **kw: Any) -> Any:
    return ollama.Client(host=url).chat(model=model, messages=messages, **kw)


def test_reply_streams_into_history_with_stats(chat: ChatWidget, ollama_url: str) -> None:
    spy = CommSpy(chat)
    chat.send("Tell me about GGUF.")
    assert chat.is_streaming  # send() returned before the reply was complete
    final = chat.wait(timeout=30)
    assert final is not None and not chat.is_streaming

    expected = official_reply(
        ollama_url, LLAMA, [{"role": "user", "content": "Tell me about GGUF."}]
    )
    assert [m["role"] for m in chat.history] == ["user", "assistant"]
    assert final["content"] == expected.message.content
    assert final["tokens"] == expected.eval_count
    assert final["tokens_per_s"] == pytest.approx(final["tokens"] / final["duration_s"], rel=0.01)
    assert final["stopped"] is False and final["error"] is None
    # the deltas sent while streaming, joined at their offsets, are exactly the answer
    text = ""
    for delta in spy.custom("delta"):
        assert delta["content_at"] == len(text)
        text += delta["content"]
    assert text == final["content"]
    # the end of the reply is its stats in one small message, not its text again
    (end,) = spy.custom("end")
    assert end["entry"]["tokens"] == final["tokens"] and "content" not in end["entry"]
    assert end["content_length"] == len(final["content"])
    assert all("history" not in u for u in spy.updates())


def test_messages_are_resendable_to_ollama(chat: ChatWidget, ollama_url: str) -> None:
    chat.system = "Answer briefly."
    chat.send("Hi")
    chat.wait(timeout=30)
    chat.send("And again")
    chat.wait(timeout=30)
    messages = chat.messages
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant"]
    assert all(set(m) == {"role", "content"} for m in messages)
    assert messages[2]["content"] == chat.history[1]["content"]
    # the official client accepts them as they are
    reply = official_reply(ollama_url, LLAMA, [*messages, {"role": "user", "content": "More"}])
    assert reply.message.content


def test_thinking_kept_apart_from_the_answer(ollama_url: str) -> None:
    chat = ChatWidget(Client(ollama_url), QWEN, think=True)
    spy = CommSpy(chat)
    chat.send("Why is the sky blue?")
    final = chat.wait(timeout=30)
    assert final is not None
    expected = official_reply(
        ollama_url, QWEN, [{"role": "user", "content": "Why is the sky blue?"}], think=True
    )
    assert expected.message.thinking  # the stand-in's thinking model does think
    assert final["thinking"] == expected.message.thinking
    assert final["content"] == expected.message.content
    assert final["thinking"] not in final["content"]
    assert "thinking" not in chat.messages[-1]
    with_thinking = chat.get_messages(thinking=True)
    assert with_thinking[-1]["thinking"] == final["thinking"]
    assert official_reply(ollama_url, QWEN, [*with_thinking, {"role": "user", "content": "ok"}])
    thought = "".join(d.get("thinking", "") for d in spy.custom("delta"))
    assert thought == final["thinking"]
    chat.close()


def test_stop_keeps_the_partial_answer(chat: ChatWidget, fake_ollama: Any, ollama_url: str) -> None:
    fake_ollama.token_rate = 20
    spy = CommSpy(chat)
    chat.send("Write a long story.")
    wait_until(lambda: len(spy.custom("delta")) >= 2)
    fake_ollama.token_rate = 0.2  # the next token is 5 s away: Stop must not wait for it
    time.sleep(0.2)
    started = time.monotonic()
    chat.stop()
    final = chat.wait(timeout=5)
    assert time.monotonic() - started < 1.0  # Stop closes the HTTP stream
    assert final is not None and final["stopped"] is True and final["error"] is None
    fake_ollama.token_rate = 10_000
    full = official_reply(ollama_url, LLAMA, [{"role": "user", "content": "Write a long story."}])
    assert final["content"] and full.message.content.startswith(final["content"])
    assert len(final["content"]) < len(full.message.content)
    assert chat.messages[-1] == {"role": "assistant", "content": final["content"]}
    assert chat.error is None


def test_error_mid_reply_keeps_history_and_retry_works(
    chat: ChatWidget, fake_ollama: Any, ollama_url: str
) -> None:
    chat.send("First question")
    chat.wait(timeout=30)
    fake_ollama.faults.error_line(after_lines=3, message="model runner crashed", path="/api/chat")
    chat.send("Second question")
    failed = chat.wait(timeout=30)
    assert failed is not None and failed["error"] is not None
    assert "model runner crashed" in failed["error"]["message"]
    assert failed["content"]  # the lines before the error are kept
    assert chat.error is not None and chat.error["message"] and chat.error["fix"]
    assert [m["role"] for m in chat.history] == ["user", "assistant", "user", "assistant"]
    # a failed reply is not part of the conversation sent back to Ollama
    assert chat.messages[-1] == {"role": "user", "content": "Second question"}

    chat.retry()
    fixed = chat.wait(timeout=30)
    assert fixed is not None and fixed["error"] is None and chat.error is None
    assert [m["role"] for m in chat.history] == ["user", "assistant", "user", "assistant"]
    expected = official_reply(ollama_url, LLAMA, chat.messages[:-1])
    assert fixed["content"] == expected.message.content


def test_cut_stream_is_an_error_not_a_silent_end(chat: ChatWidget, fake_ollama: Any) -> None:
    fake_ollama.faults.cut_stream(after_lines=4, path="/api/chat")
    chat.send("Hello")
    failed = chat.wait(timeout=30)
    assert failed is not None and failed["error"] is not None and failed["content"]
    assert chat.error is not None and chat.error["fix"]
    chat.regenerate()
    again = chat.wait(timeout=30)
    assert again is not None and again["error"] is None and again["tokens"]


def test_http_error_before_the_reply(chat: ChatWidget, fake_ollama: Any) -> None:
    fake_ollama.faults.http_error(503, path="/api/chat")
    chat.send("Hello")
    failed = chat.wait(timeout=30)
    assert failed is not None and failed["content"] == "" and failed["error"] is not None
    assert chat.error is not None and chat.error["type"] != "RuntimeError"
    chat.retry()
    assert chat.wait(timeout=30)["error"] is None  # type: ignore[index]


def test_model_not_pulled_shows_the_fix(ollama_url: str) -> None:
    chat = ChatWidget(Client(ollama_url), "hf.co/nobody/not-pulled-GGUF:Q4_K_M")
    chat.send("Hello")
    chat.wait(timeout=30)
    assert chat.error is not None
    assert chat.error["type"] == "ModelNotFoundError"
    assert "pull" in (chat.error["fix"] or "").lower()
    chat.close()


def test_sending_while_streaming_is_refused(chat: ChatWidget, fake_ollama: Any) -> None:
    fake_ollama.token_rate = 50
    chat.send("Long one")
    with pytest.raises(ChatBusyError) as info:
        chat.send("Impatient")
    assert info.value.fix and "wait" in info.value.fix
    assert [m["content"] for m in chat.history] == ["Long one"]
    # the front end's Send during a reply is ignored too
    chat._handle_custom_msg({"type": "send", "text": "Impatient"}, [])
    chat.stop()
    chat.wait(timeout=5)
    assert [m["role"] for m in chat.history] == ["user", "assistant"]


def test_send_while_a_reply_streams_raises_chat_busy(chat: ChatWidget, fake_ollama: Any) -> None:
    fake_ollama.token_rate = 5  # slow: the reply is still streaming when the next send comes
    chat.send("First question")
    assert chat.is_streaming
    before = [dict(entry) for entry in chat.history]
    with pytest.raises(ChatBusyError) as info:
        chat.send("Second question")
    assert isinstance(info.value, HFOllamaError) and info.value.fix
    with pytest.raises(ChatBusyError):
        chat.regenerate()
    assert chat.history == before and chat.is_streaming
    assert chat.error is None  # a refused call from Python is raised, not shown
    chat.stop()
    final = chat.wait(timeout=5)
    assert final is not None and final["stopped"]
    assert [m["content"] for m in chat.history[:1]] == ["First question"]


def test_a_send_right_after_a_reply_ends_is_a_streaming_reply(
    chat: ChatWidget, fake_ollama: Any
) -> None:
    # Race: the moment wait() returns, the next send() starts a reply; the finishing worker
    # thread must not then mark the widget idle (wait() would return before the new reply).
    # A tiny switch interval makes the threads interleave; before the fix about 1 round in
    # 60 failed here, so a few seconds of rounds catch it.
    import sys

    fake_ollama.token_rate = 0
    fake_ollama.reply = lambda model, messages: "ok"
    rounds, deadline = 0, time.monotonic() + 3.0
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        while time.monotonic() < deadline:
            rounds += 1
            chat.send("first")
            chat.wait(timeout=10)
            chat.send("second")
            last = chat.wait(timeout=10)
            assert last is not None and last["role"] == "assistant", f"round {rounds}"
            assert not chat.is_streaming
            chat.clear()
    finally:
        sys.setswitchinterval(interval)
    assert rounds > 20


def test_front_end_messages_drive_the_chat(chat: ChatWidget, fake_ollama: Any) -> None:
    fake_ollama.token_rate = 40
    spy = CommSpy(chat)
    chat._handle_custom_msg({"type": "send", "text": "From the browser"}, [])
    wait_until(lambda: len(spy.custom("delta")) >= 2)
    # a view that renders mid-reply asks for what came so far
    chat._handle_custom_msg({"type": "sync", "view": "v1"}, [])
    partial = [m for m in spy.custom("log") if m.get("view") == "v1"][-1]
    assert partial["live"] == chat.streaming and partial["content"]
    assert [e["content"] for e in partial["add"]] == ["From the browser"]
    chat._handle_custom_msg({"type": "stop"}, [])
    final = chat.wait(timeout=5)
    assert final is not None and final["stopped"]
    assert final["content"].startswith(partial["content"])
    chat._handle_custom_msg({"type": "clear"}, [])
    assert chat.history == [] and chat.messages == []


def test_options_system_and_think_are_sent(chat: ChatWidget, fake_ollama: Any) -> None:
    chat.options = {"temperature": 0.2}
    chat.system = "You are terse."
    chat.think = False
    chat.send("Hi")
    final = chat.wait(timeout=30)
    assert final is not None and final["error"] is None
    assert chat.messages[0] == {"role": "system", "content": "You are terse."}
    # the stand-in logs a request once its response is complete
    wait_until(lambda: any(r.path == "/api/chat" for r in fake_ollama.requests))
    body = [r for r in fake_ollama.requests if r.path == "/api/chat"][-1].body
    assert body["options"] == {"temperature": 0.2}
    assert body["think"] is False and body["stream"] is True
    assert body["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "Hi"},
    ]
    assert repr(chat).startswith("ChatWidget(model='hf.co/bartowski/")


def test_to_dataframe(chat: ChatWidget, fake_ollama: Any) -> None:
    chat.system = "Be brief."
    chat.send("One")
    chat.wait(timeout=30)
    fake_ollama.faults.error_line(after_lines=2, message="out of memory", path="/api/chat")
    chat.send("Two")
    chat.wait(timeout=30)
    df = chat.to_dataframe()
    assert list(df.columns) == [
        "role",
        "content",
        "thinking",
        "model",
        "tokens",
        "tokens_per_s",
        "duration_s",
        "done_reason",
        "ttft_s",
        "stopped",
        "error",
    ]
    assert list(df["role"]) == ["system", "user", "assistant", "user", "assistant"]
    assert int(df.loc[2, "tokens"]) == chat.history[1]["tokens"] > 0  # type: ignore[arg-type]
    assert float(df.loc[2, "tokens_per_s"]) > 0  # type: ignore[arg-type]
    assert "out of memory" in str(df.loc[4, "error"])
    assert df["error"].isna().sum() == 4


def test_long_reply_sends_few_small_messages(chat: ChatWidget, fake_ollama: Any) -> None:
    fake_ollama.token_rate = 2000
    spy = CommSpy(chat)
    chat.send("echo: " + " ".join(f"word{i}" for i in range(1500)))
    started = time.monotonic()
    final = chat.wait(timeout=60)
    elapsed = time.monotonic() - started
    assert final is not None and final["error"] is None
    deltas = spy.custom("delta")
    tokens = final["tokens"] or 0
    assert tokens >= 1000
    # at most one delta per 50 ms (plus the first token and the final flush)
    assert len(deltas) <= elapsed / 0.05 + 3
    assert len(deltas) < tokens / 5
    # only new text is sent: the deltas add up to the answer once, not once per token
    assert sum(len(d.get("content", "")) for d in deltas) == len(final["content"])
    # the conversation is never a state update; the turn is one log message and one end
    assert all("history" not in u for u in spy.updates())
    assert len(spy.custom("log")) == 1 and len(spy.custom("end")) == 1


def test_a_reply_reads_its_stream_to_the_end() -> None:
    # Stopping at the "done" line leaves the body's end unread: the HTTP connection is then
    # dropped (reset) instead of going back to the pool, and the stream's end checks never run.
    read_past_the_final_line: list[bool] = []

    class Server:  # stands in for hfw.Client: yields the lines of one streamed reply
        def chat(self, model: str, messages: Any, **kw: Any) -> Iterator[dict[str, Any]]:
            yield {"message": {"role": "assistant", "content": "Hi"}, "done": False}
            yield {"message": {"role": "assistant", "content": ""}, "done": True, "eval_count": 1}
            read_past_the_final_line.append(True)

    deltas: list[ReplyDelta] = []
    run = ReplyRun(Server(), "m", [], on_delta=deltas.append)  # type: ignore[arg-type]
    run.run()
    assert run.error is None and run.content == "Hi" and run.final is not None
    assert read_past_the_final_line == [True]
    assert deltas == [ReplyDelta("Hi", 0, "", 0)]
    assert deltas[0].to_message("m1") == "Hi"  # answer text only: the bare string
