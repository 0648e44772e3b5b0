"""The AsyncClient over real HTTP against FakeOllama: same methods, awaited; AsyncStream."""

from __future__ import annotations

import asyncio
import math
import socket
import threading
import time
from typing import Any

import pytest

import hfollama_widgets as hfw
from hfollama_widgets.testing import FakeOllama

pytestmark = pytest.mark.anyio

LLAMA = "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M"
QWEN = "hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M"
NOMIC = "hf.co/nomic-ai/nomic-embed-text-v1.5-GGUF:Q4_K_M"
HI = [{"role": "user", "content": "Hi there"}]


@pytest.fixture()
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture()
def fake(fake_ollama: FakeOllama) -> FakeOllama:
    fake_ollama.pull_speed = 1e12
    fake_ollama.token_rate = 0
    return fake_ollama


async def test_every_method(fake: FakeOllama) -> None:
    async with hfw.AsyncClient(fake.url) as client:
        assert (await client.version()).count(".") == 2
        assert await client.list() == {"models": []}
        assert await client.pull(LLAMA) == {"status": "success"}
        stream = await client.pull(QWEN, stream=True)
        assert isinstance(stream, hfw.AsyncStream)
        statuses = [p["status"] async for p in stream]
        assert statuses[0] == "pulling manifest" and statuses[-1] == "success"
        names = {m["name"] for m in (await client.list())["models"]}
        assert names == {LLAMA, QWEN}
        assert "thinking" in (await client.show(QWEN))["capabilities"]

        reply = await client.chat(LLAMA, HI)
        chunks = [c async for c in await client.chat(LLAMA, HI, stream=True)]
        assert "".join(c["message"]["content"] for c in chunks) == reply["message"]["content"]
        assert chunks[-1]["done"] is True

        thoughts = [c async for c in await client.chat(QWEN, HI, stream=True)]
        assert thoughts[0]["message"]["thinking"]

        gen = await client.generate(LLAMA, "Hello", system="Be brief", images=[b"\x89PNG"])
        parts = [
            c async for c in await client.generate(LLAMA, "Hello", system="Be brief", stream=True)
        ]
        assert "".join(p["response"] for p in parts) == gen["response"]

        assert await client.pull(NOMIC) == {"status": "success"}
        vectors = (await client.embed(NOMIC, ["a b", "c"]))["embeddings"]
        assert len(vectors) == 2
        assert math.isclose(math.fsum(x * x for x in vectors[0]), 1.0, rel_tol=1e-9)

        assert [m["name"] for m in (await client.ps())["models"]]
        await client.delete(LLAMA)
        with pytest.raises(hfw.ModelNotFoundError):
            await client.show(LLAMA)


async def test_aclose_from_another_task_unblocks_a_waiting_read(fake: FakeOllama) -> None:
    async with hfw.AsyncClient(fake.url) as client:
        await client.pull(LLAMA)
        fake.token_rate = 20
        stream = await client.chat(LLAMA, HI, stream=True)
        await stream.__anext__()
        fake.token_rate = 0.5  # 2 s per token: the reader waits on the socket

        async def read() -> list[dict[str, Any]]:
            return [c async for c in stream]

        start = time.monotonic()
        reader = asyncio.create_task(read())
        await asyncio.sleep(0.3)
        await stream.aclose()
        got = await asyncio.wait_for(reader, timeout=5)
        assert len(got) <= 3 and stream.closed  # a token or two may be in flight
        assert time.monotonic() - start < 1.9
        fake.token_rate = 0
        assert (await client.chat(LLAMA, HI))["done"] is True


async def test_close_from_another_thread(fake: FakeOllama) -> None:
    async with hfw.AsyncClient(fake.url) as client:
        await client.pull(LLAMA)
        fake.token_rate = 20
        async with await client.chat(LLAMA, HI, stream=True) as stream:
            await stream.__anext__()
            fake.token_rate = 0.5
            threading.Timer(0.3, stream.close).start()  # e.g. a widget's Stop button
            start = time.monotonic()
            rest = [c async for c in stream]
            assert len(rest) <= 3 and time.monotonic() - start < 1.9  # not the whole reply
        assert stream.closed


async def test_errors(fake: FakeOllama) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with hfw.AsyncClient(f"127.0.0.1:{port}") as dead:
        with pytest.raises(hfw.OllamaConnectionError, match=str(port)):
            await dead.chat(LLAMA, HI, stream=True)  # at the call, not at the first item
    async with hfw.AsyncClient(fake.url) as client:
        with pytest.raises(hfw.ModelNotFoundError):
            await client.chat(LLAMA, HI, stream=True)
        with pytest.raises(hfw.UnknownTagError):
            await client.pull("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q9_Z")
        with pytest.raises(hfw.ShardedGGUFError):
            async for _ in await client.pull(
                "hf.co/Qwen/Qwen2.5-7B-Instruct-GGUF:Q8_0", stream=True
            ):
                pass
        fake.faults.cut_stream(after_lines=2, path="/api/pull")
        with pytest.raises(hfw.IncompletePullError):
            async for _ in await client.pull(LLAMA, stream=True):
                pass
        await client.pull(LLAMA)
        fake.faults.error_line(after_lines=1, message="boom", path="/api/chat")
        with pytest.raises(hfw.StreamError, match="boom"):
            async for _ in await client.chat(LLAMA, HI, stream=True):
                pass
        fake.faults.garbage_line(after_lines=1, path="/api/chat")
        with pytest.raises(hfw.OllamaProtocolError):
            async for _ in await client.chat(LLAMA, HI, stream=True):
                pass
        fake.faults.http_error(503, path="/api/generate")
        with pytest.raises(hfw.OllamaServerError) as err:
            await client.generate(LLAMA, "x")
        assert err.value.status_code == 503
