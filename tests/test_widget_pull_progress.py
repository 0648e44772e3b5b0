"""PullProgress logic against FakeOllama over real HTTP (no browser).

Expected sizes come from FakeHub's manifest (fetched over HTTP here), not from the widget.
The throttle is measured on the widget's comm: every message ipywidgets sends is counted.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import hfollama_widgets as hfw
from hfollama_widgets.errors import (
    HFOllamaError,
    IncompletePullError,
    OllamaConnectionError,
    OllamaTimeoutError,
    PullError,
)
from hfollama_widgets.widgets.pull_progress import PullProgress

REPO = "bartowski/Llama-3.2-1B-Instruct-GGUF"
MODEL = f"hf.co/{REPO}:Q4_K_M"
SMALL = "hf.co/unsloth/Qwen3-4B-GGUF:Q4_K_M"


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0, step: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout} s")


def manifest_layers(hub: Any, repo: str, tag: str) -> dict[str, int]:
    """digest -> size of every blob Ollama pulls for repo:tag (layers + config), from FakeHub."""
    response = httpx.get(
        f"{hub.url}/v2/{repo}/manifests/{tag}",
        headers={"Accept": "application/vnd.docker.distribution.manifest.v2+json"},
    )
    response.raise_for_status()
    manifest = response.json()
    blobs = [*manifest["layers"], manifest["config"]]
    return {blob["digest"]: blob["size"] for blob in blobs}


def front_end_msg(kind: str) -> dict[str, Any]:
    """The comm message ipywidgets receives when the JS side calls model.send({type: kind})."""
    return {"content": {"data": {"method": "custom", "content": {"type": kind}}}, "buffers": []}


class CommRecorder:
    """Records what the widget sends to the front end through its comm."""

    def __init__(self, widget: PullProgress) -> None:
        self.messages: list[tuple[float, dict[str, Any]]] = []
        self._lock = threading.Lock()
        original = widget.comm.send

        def send(data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
            with self._lock:
                self.messages.append((time.monotonic(), data))
            original(data=data, metadata=metadata, buffers=buffers)

        widget.comm.send = send

    def updates(self, key: str) -> list[tuple[float, Any]]:
        with self._lock:
            return [
                (t, m["state"][key])
                for t, m in self.messages
                if isinstance(m, dict) and m.get("method") == "update" and key in m.get("state", {})
            ]


@pytest.fixture()
def client(fake_ollama: Any) -> Iterator[hfw.Client]:
    with hfw.Client(fake_ollama.url) as c:
        yield c


@pytest.fixture()
def dead_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("final_layer_line", [False, True])
def test_pull_succeeds_with_every_layer_and_the_right_sizes(
    fake_hub: Any, fake_ollama: Any, client: hfw.Client, final_layer_line: bool
) -> None:
    # Real Ollama (final_layer_line=False) sends layer lines from a 60 ms ticker only, never a
    # last 100 % line, and none at all for the small blobs done within a tick
    # (server/download.go:446-466); the old stand-in ended every layer at 100 %.
    fake_ollama.pull_speed = 4e9
    fake_ollama.final_layer_line = final_layer_line
    expected = manifest_layers(fake_hub, REPO, "Q4_K_M")
    widget = PullProgress(client, MODEL)
    assert widget.wait(timeout=60) == {"status": "success"}
    assert widget.state == "success"
    assert widget.status == "success"
    assert widget.error is None
    progress = widget.progress
    seen = {row["digest"]: row["total"] for row in progress["layers"]}
    model_layer = max(expected, key=lambda digest: expected[digest])
    if final_layer_line:
        assert seen == expected
    else:
        assert model_layer in seen and seen.items() <= expected.items() and seen != expected
    assert all(row["done"] for row in progress["layers"])
    assert progress["total"] == progress["completed"] == sum(seen.values())
    assert progress["fraction"] == 1.0
    # Ollama has it now.
    names = [m["name"] for m in client.list()["models"]]
    assert any(n.lower() == MODEL.lower() for n in names)


def test_text_repr_names_the_model_state_and_size(client: hfw.Client, fake_ollama: Any) -> None:
    fake_ollama.pull_speed = 4e9
    widget = PullProgress(client, MODEL)
    widget.wait(timeout=60)
    text = repr(widget)
    assert text.startswith("PullProgress(")
    assert MODEL in text and "'success'" in text and "MB" in text
    bundle, _ = widget._repr_mimebundle_()
    assert bundle["text/plain"] == text
    assert "HBox" not in text and "children" not in text


def test_start_false_waits_for_start(client: hfw.Client, fake_ollama: Any) -> None:
    fake_ollama.pull_speed = 4e9
    widget = PullProgress(client, SMALL, start=False)
    time.sleep(0.3)
    assert widget.state == "idle"
    assert widget.wait() == {"status": "idle"}
    assert not any("/api/pull" in p for p in fake_ollama.requests.paths())
    widget.start()
    assert widget.wait(timeout=60)["status"] == "success"
    # (FakeOllama logs a request once its answer is complete)
    wait_for(lambda: sum("/api/pull" in p for p in fake_ollama.requests.paths()) == 1)


def test_cancel_mid_way_then_retry_resumes_to_success(
    fake_hub: Any, fake_ollama: Any, client: hfw.Client
) -> None:
    sizes = manifest_layers(fake_hub, REPO, "Q4_K_M")
    model_digest, model_size = max(sizes.items(), key=lambda kv: kv[1])
    fake_ollama.pull_speed = 40e6  # ~20 s for the whole model: plenty of time to cancel
    widget = PullProgress(client, MODEL)
    wait_for(lambda: (widget.progress.get("completed") or 0) > 40e6)
    widget.cancel()
    assert widget.state == "cancelled"  # at once, not when the thread notices
    assert widget.wait(timeout=5) == {"status": "cancelled"}
    seen_at_cancel = widget.progress["completed"]
    assert 0 < seen_at_cancel < model_size
    # The stream is closed: no more progress arrives.
    time.sleep(0.5)
    assert widget.progress["completed"] == seen_at_cancel
    assert widget.state == "cancelled"

    fake_ollama.pull_speed = 4e9
    widget.retry()
    assert widget.attempt == 2
    assert widget.wait(timeout=60) == {"status": "success"}
    assert widget.state == "success"
    tracker = widget.tracker
    assert tracker is not None
    layer = next(lay for lay in tracker.layers if lay.digest == model_digest)
    assert layer.done
    # Resumed: this attempt did not transfer the bytes that were there before the cancel.
    assert tracker.transferred <= sum(sizes.values()) - seen_at_cancel


def test_cancel_from_the_front_end_message(fake_ollama: Any, client: hfw.Client) -> None:
    fake_ollama.pull_speed = 20e6
    widget = PullProgress(client, MODEL)
    wait_for(lambda: (widget.progress.get("completed") or 0) > 0)
    # What the Cancel button sends, through ipywidgets' own message handling.
    widget._handle_msg(front_end_msg("cancel"))
    assert widget.state == "cancelled"
    fake_ollama.pull_speed = 4e9
    widget._handle_msg(front_end_msg("retry"))
    assert widget.wait(timeout=60)["status"] == "success"


def test_error_line_shows_error_with_fix_and_wait_raises_it(
    fake_ollama: Any, client: hfw.Client
) -> None:
    fake_ollama.pull_speed = 4e9
    fake_ollama.faults.error_line(3, message="max retries exceeded: EOF", path="/api/pull")
    widget = PullProgress(client, MODEL)
    with pytest.raises(PullError) as info:
        widget.wait(timeout=60)
    assert widget.state == "error"
    assert widget.error is not None
    assert widget.error["type"] == type(info.value).__name__
    assert widget.error["message"] == info.value.message
    assert "max retries exceeded" in widget.error["message"]
    assert widget.error["fix"]
    # Retry (the fault fired once) ends in success and clears the error.
    widget.retry()
    assert widget.wait(timeout=60)["status"] == "success"
    assert widget.error is None and widget.state == "success"


def test_cut_stream_is_an_incomplete_pull_that_retry_resumes(
    fake_ollama: Any, client: hfw.Client
) -> None:
    fake_ollama.pull_speed = 200e6
    fake_ollama.faults.cut_stream(20, path="/api/pull")
    widget = PullProgress(client, MODEL)
    with pytest.raises(IncompletePullError):
        widget.wait(timeout=60)
    assert widget.state == "error"
    assert widget.error is not None and widget.error["type"] == "IncompletePullError"
    assert "resume" in (widget.error["fix"] or "").lower()
    before = widget.progress["completed"]
    assert before > 0
    fake_ollama.pull_speed = 4e9
    widget.retry()
    assert widget.wait(timeout=60)["status"] == "success"
    tracker = widget.tracker
    assert tracker is not None
    assert tracker.transferred <= tracker.bytes_total - before


def test_unknown_tag_error_comes_from_the_hub(client: hfw.Client) -> None:
    widget = PullProgress(client, f"hf.co/{REPO}:Q9_Z")
    with pytest.raises(HFOllamaError):
        widget.wait(timeout=60)
    assert widget.state == "error"
    assert widget.error is not None
    assert widget.error["message"] and widget.error["fix"]


def test_unreachable_ollama_shows_connection_error_with_fix(dead_port: int) -> None:
    with hfw.Client(f"http://127.0.0.1:{dead_port}") as client:
        widget = PullProgress(client, MODEL)
        with pytest.raises(OllamaConnectionError):
            widget.wait(timeout=30)
    assert widget.state == "error"
    assert widget.error is not None
    assert widget.error["type"] == "OllamaConnectionError"
    assert "ollama serve" in (widget.error["fix"] or "")
    assert "Traceback" not in widget.error["message"]


def test_wait_timeout_raises_and_pull_keeps_going(fake_ollama: Any, client: hfw.Client) -> None:
    fake_ollama.pull_speed = 50e6
    widget = PullProgress(client, MODEL)
    with pytest.raises(OllamaTimeoutError):
        widget.wait(timeout=0.3)
    assert widget.state == "running"
    widget.cancel()


def test_throttle_sends_at_most_about_ten_updates_a_second_and_the_final_state(
    fake_ollama: Any, client: hfw.Client
) -> None:
    fake_ollama.pull_speed = 300e6  # ~2.7 s for 808 MB, a line every progress_interval
    fake_ollama.progress_interval = 0.005  # far more lines than the browser should see
    widget = PullProgress(client, MODEL, start=False)
    recorder = CommRecorder(widget)
    lines = 0
    original = widget._client.pull

    def counting_pull(model: str, **kwargs: Any) -> Any:
        nonlocal lines
        stream = original(model, **kwargs)

        class Counted:
            def __iter__(self) -> Iterator[dict[str, Any]]:
                nonlocal lines
                for part in stream:
                    lines += 1
                    yield part

            def close(self) -> None:
                stream.close()

        return Counted()

    widget._client = type("C", (), {"pull": staticmethod(counting_pull)})()
    started = time.monotonic()
    widget.start()
    widget.wait(timeout=60)
    duration = time.monotonic() - started
    progress_updates = recorder.updates("progress")
    assert lines > 100  # the server sent many lines ...
    # ... the browser got at most ~10 a second (+ the start and final ones).
    assert len(progress_updates) <= 10 * duration + 3
    assert len(progress_updates) < lines / 3
    throttled = progress_updates[1:-1]  # between the start and the final update
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(throttled)]
    assert all(gap >= 0.09 for gap in gaps)
    # The final state always arrives, with the final numbers.
    states = [value for _, value in recorder.updates("state")]
    assert states[-1] == "success"
    final = progress_updates[-1][1]
    assert final["success"] is True and final["completed"] == final["total"]


def test_host_trait_never_shows_credentials() -> None:
    with hfw.Client("http://alice:s3cret@127.0.0.1:9") as client:
        widget = PullProgress(client, MODEL, start=False)
    assert "s3cret" not in widget.host and "alice" not in widget.host
    assert widget.host.endswith("127.0.0.1:9")


def test_pull_with_progress_outside_a_kernel_draws_a_bar(
    fake_hub: Any, fake_ollama: Any, client: hfw.Client
) -> None:
    import io

    total = sum(manifest_layers(fake_hub, REPO, "Q4_K_M").values())
    fake_ollama.pull_speed = 2e9
    out = io.StringIO()
    result = hfw.pull_with_progress(client, MODEL, file=out)
    assert result == {"status": "success"}
    final = out.getvalue().rstrip().rsplit("\r", 1)[-1]
    assert final.startswith(MODEL)
    assert "100%" in final
    assert f"done, {total / 1e6:.1f} MB" in final


def test_pull_with_progress_widget_mode_returns_the_widget(
    fake_ollama: Any, client: hfw.Client
) -> None:
    fake_ollama.pull_speed = 4e9
    widget = hfw.pull_with_progress(client, SMALL, widget=True)
    assert isinstance(widget, PullProgress)
    assert widget.wait(timeout=60)["status"] == "success"


def test_pull_with_progress_raises_errors_in_a_terminal(dead_port: int) -> None:
    import io

    with (
        hfw.Client(f"http://127.0.0.1:{dead_port}") as client,
        pytest.raises(OllamaConnectionError),
    ):
        hfw.pull_with_progress(client, MODEL, file=io.StringIO())


def test_pull_with_progress_in_a_kernel_displays_the_widget(fake_ollama: Any) -> None:
    """In a real ipykernel (nbclient), the widget is displayed and returned; no terminal bar."""
    import nbclient
    import nbformat

    fake_ollama.pull_speed = 4e9
    source = (
        "import hfollama_widgets as hfw\n"
        f"w = hfw.pull_with_progress(hfw.Client({fake_ollama.url!r}), {SMALL!r})\n"
        "print(type(w).__name__, w.wait(timeout=60)['status'], w.state)"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    widget_outputs = [
        o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(widget_outputs) == 1
    assert widget_outputs[0]["data"]["text/plain"].startswith("PullProgress(")
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    assert "PullProgress success success" in text
    assert "%|" not in text  # no tqdm bar in the notebook
