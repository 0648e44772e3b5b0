"""FakeOllama's ``POST /api/pull``: the manifest from the registry, then layer by layer.

Mirrors ``server/images.go PullModel`` and ``download.go``: ``pulling manifest`` first (so every
registry failure arrives inside the 200 stream), ``pulling <12 hex>`` lines per layer every
``progress_interval`` while it downloads, with a growing ``completed`` (absent while 0) and no
final 100 % line (see :func:`_download`), then ``verifying sha256 digest``, ``writing
manifest``, ``removing unused layers`` (re-pull only) and ``success``.
Weights are not downloaded: their transfer is simulated at ``pull_speed`` bytes/s. A cancelled
pull keeps each layer's completed bytes and the next pull resumes from there.
"""

from __future__ import annotations

import contextlib
import time
from datetime import datetime
from typing import Any

from hfollama_widgets.testing._ollama.faults import Fault
from hfollama_widgets.testing._ollama.http import ClientGone, Handler, StreamStopped, StreamWriter
from hfollama_widgets.testing._ollama.names import Name, parse_name
from hfollama_widgets.testing._ollama.registry import (
    LICENSE_TYPE,
    MODEL_TYPE,
    PARAMS_TYPE,
    PROJECTOR_TYPE,
    SYSTEM_TYPE,
    TEMPLATE_TYPE,
    Layer,
    RegistryError,
    parse_config,
)
from hfollama_widgets.testing._ollama.store import ModelRecord

__all__ = ["pull"]


class _PullFailed(Exception):
    """A pull error with the text Ollama reports."""


class _Progress:
    """Sends progress lines (stream) or only checks the client is still there (non-stream)."""

    def __init__(self, h: Handler, writer: StreamWriter | None, cut: Fault | None = None) -> None:
        self.h = h
        self.writer = writer
        self.cut = cut  # stream:false only: stop after cut.after_lines objects
        self.count = 0
        self.last: dict[str, Any] = {}

    def emit(self, obj: dict[str, Any]) -> None:
        if self.fake_stopping() or self.h.client_gone():
            raise ClientGone
        if self.writer is not None:
            self.writer.write(obj)
            return
        if self.cut is not None and self.count >= self.cut.after_lines:
            if self.cut.clean:  # waitForStream answers with the last progress object seen
                self.h.send_json(200, self.last)
            else:
                self.h.abort_connection()
            raise StreamStopped
        self.count += 1
        self.last = obj

    def fake_stopping(self) -> bool:
        return self.h.fake.stopping.is_set()


def _layer_line(layer: Layer, completed: int) -> dict[str, Any]:
    line: dict[str, Any] = {
        "status": f"pulling {layer.digest[7:19]}",
        "digest": layer.digest,
        "total": layer.size,
    }
    if completed > 0:
        line["completed"] = completed  # omitempty: absent while nothing is downloaded
    return line


def _download(h: Handler, progress: _Progress, name: Name, layer: Layer) -> None:
    """One layer, reported like ``blobDownload.Wait`` (ollama/ollama server/download.go:446-466).

    Lines come only from a 60 ms ticker while the download runs; when it ends the loop returns
    without a final line, so the last line of a layer is short of ``total`` and a layer done
    within one tick (the small template/params/config blobs) sends no line at all. Only a blob
    already on disk gets ``completed == total`` (download.go:492-497). ``final_layer_line=True``
    restores the old stand-in behaviour (a first line at once, a last one at 100 %).
    """
    store = h.fake.store
    final_line = bool(h.fake.final_layer_line)
    if store.has_blob(layer.digest):
        progress.emit(_layer_line(layer, layer.size))
        return
    if layer.small:
        try:
            data = h.fake.registry.blob(name, layer)
        except RegistryError as exc:
            raise _PullFailed(str(exc)) from exc
        store.put_content(layer.digest, data)
        if final_line:
            progress.emit(_layer_line(layer, layer.size))
        return
    done = store.progress(layer.digest)
    if final_line:
        progress.emit(_layer_line(layer, done))
    last = time.monotonic()
    while done < layer.size:
        time.sleep(max(0.001, h.fake.progress_interval))
        now = time.monotonic()
        speed = max(1.0, float(h.fake.pull_speed))
        done = min(layer.size, done + int(speed * (now - last)))
        last = now
        store.set_progress(layer.digest, done, layer.size)
        if done < layer.size or final_line:  # the tick after the end finds b.done: no line
            progress.emit(_layer_line(layer, done))


def _text(h: Handler, layers: list[Layer], media_type: str) -> str:
    for layer in layers:
        if layer.media_type == media_type:
            data = h.fake.store.content(layer.digest)
            return data.decode("utf-8", "replace") if data else ""
    return ""


def _run(h: Handler, progress: _Progress, model: str) -> None:
    name = parse_name(model)
    existing = h.fake.store.find(name)
    if existing is not None:
        name = existing.name  # getExistingName: keep the stored spelling
    progress.emit({"status": "pulling manifest"})
    try:
        manifest = h.fake.registry.manifest(name)
    except RegistryError as exc:
        raise _PullFailed(str(exc)) from exc
    layers = manifest.all_layers()
    for layer in layers:
        _download(h, progress, name, layer)
    progress.emit({"status": "verifying sha256 digest"})
    progress.emit({"status": "writing manifest"})
    config_blob = h.fake.store.content(manifest.config.digest) if manifest.config else None
    params_text = _text(h, layers, PARAMS_TYPE)
    params = parse_config(params_text.encode()) if params_text else {}
    model_layer = next((x for x in manifest.layers if x.media_type == MODEL_TYPE), None)
    # Ollama reads the blob's GGUF header for show/tags/ps; the stand-in fetches only the header.
    header = h.fake.registry.header(name, model_layer) if model_layer else b""
    projector = next((x for x in manifest.layers if x.media_type == PROJECTOR_TYPE), None)
    record = ModelRecord(
        name=name,
        header=header,
        projector_header=h.fake.registry.header(name, projector) if projector else b"",
        manifest=manifest,
        config=parse_config(config_blob or b"{}"),
        template=_text(h, layers, TEMPLATE_TYPE),
        params=params,
        system=_text(h, layers, SYSTEM_TYPE),
        license=_text(h, layers, LICENSE_TYPE),
        modified_at=datetime.now(),
    )
    if h.fake.store.put(record):
        progress.emit({"status": "removing unused layers"})
    progress.emit({"status": "success"})


def pull(h: Handler, body: Any) -> None:
    model = (body.get("model") or body.get("name")) if isinstance(body, dict) else None
    if not isinstance(model, str) or not parse_name(model).valid:
        h.send_error_json(400, "invalid model name")
        return
    if parse_name(model).scheme == "http" and not body.get("insecure"):
        h.send_error_json(400, "insecure protocol http")
        return
    stream = body.get("stream", True) is not False
    fault = h.fake.faults.take_stream_fault("/api/pull")
    writer = StreamWriter(h, fault) if stream else None
    cut = fault if not stream and fault is not None and fault.kind == "cut_stream" else None
    progress = _Progress(h, writer, cut)
    try:
        _run(h, progress, model)
    except _PullFailed as exc:
        if writer is not None:
            with contextlib.suppress(ClientGone, StreamStopped):
                writer.error(str(exc))
        else:
            h.send_error_json(500, str(exc))
        return
    except (ClientGone, StreamStopped):
        h.close_connection = True
        return
    if writer is not None:
        writer.end()
    else:
        h.send_json(200, {"status": "success"})
