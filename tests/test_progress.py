"""PullTracker on pull streams shaped like Ollama's (docs/api.md, images.go, download.go).

The sequences are generated from the documented shapes: ``pulling manifest``, then one layer
after another with ``"pulling <12 hex>"`` lines repeated about every 60 ms with a growing
``completed`` (absent while zero), blobs already on disk as a single ``completed == total``
line, then ``verifying sha256 digest``, ``writing manifest``, ``success``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfollama_widgets.progress import PullTracker

TICK = 0.06  # Ollama's progress ticker (download.go)


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def layer_lines(
    dig: str, total: int, *, rate: float, t0: float, start: int = 0, present: bool = False
) -> Iterator[tuple[float, dict[str, Any]]]:
    """Lines for one layer at ``rate`` bytes/s starting at ``t0`` (``start`` bytes on disk)."""
    status = f"pulling {dig[7:19]}"
    if present:
        yield t0, {"status": status, "digest": dig, "total": total, "completed": total}
        return
    first: dict[str, Any] = {"status": status, "digest": dig, "total": total}
    if start:
        first["completed"] = start  # omitempty: only present when non-zero
    yield t0, first
    done, t = start, t0
    while done < total:
        t += TICK
        done = min(total, done + round(rate * TICK))
        yield t, {"status": status, "digest": dig, "total": total, "completed": done}


def pull_stream(
    layers: list[tuple[str, int]],
    *,
    rate: float,
    present: frozenset[str] = frozenset(),
    resumed: dict[str, int] | None = None,
) -> list[tuple[float, dict[str, Any]]]:
    """A whole successful pull: (arrival time, part) pairs."""
    resumed = resumed or {}
    out: list[tuple[float, dict[str, Any]]] = [(0.0, {"status": "pulling manifest"})]
    t = 0.3
    for name, size in layers:
        out += layer_lines(
            digest(name),
            size,
            rate=rate,
            t0=t,
            start=resumed.get(name, 0),
            present=name in present,
        )
        t = out[-1][0] + 0.01
    out += [
        (t + 0.5, {"status": "verifying sha256 digest"}),
        (t + 0.6, {"status": "writing manifest"}),
        (t + 0.7, {"status": "success"}),
    ]
    return out


# A GGUF model layer + template + params, like an hf.co pull.
MODEL_LAYERS = [("model", 50_000_000), ("template", 1_400), ("params", 96)]


def feed(tracker: PullTracker, stream: list[tuple[float, dict[str, Any]]]) -> None:
    for t, part in stream:
        tracker.update(part, now=t)


def test_multi_layer_totals_and_success() -> None:
    stream = pull_stream(MODEL_LAYERS, rate=20e6)
    tracker = PullTracker()
    feed(tracker, stream)
    assert tracker.finished and tracker.success and tracker.error is None
    assert tracker.status == "success"
    assert [layer.digest for layer in tracker.layers] == [digest(n) for n, _ in MODEL_LAYERS]
    assert all(layer.done for layer in tracker.layers)
    expected = sum(size for _, size in MODEL_LAYERS)
    assert tracker.bytes_total == expected
    assert tracker.bytes_done == expected
    assert tracker.fraction == 1.0
    assert tracker.eta_s == 0.0
    snap = tracker.snapshot()
    assert json.loads(json.dumps(snap)) == snap  # plain JSON data for the widget
    assert snap["completed"] == snap["total"] == expected
    assert [row["digest"] for row in snap["layers"]] == [digest(n) for n, _ in MODEL_LAYERS]


def test_missing_completed_means_zero() -> None:
    tracker = PullTracker()
    dig = digest("model")
    tracker.update({"status": "pulling manifest"}, now=0)
    tracker.update({"status": f"pulling {dig[7:19]}", "digest": dig, "total": 1234}, now=0.1)
    assert tracker.bytes_done == 0
    assert tracker.bytes_total == 1234
    assert tracker.fraction == 0.0
    assert tracker.speed is None and tracker.eta_s is None  # nothing measured yet
    (layer,) = tracker.layers
    assert (layer.completed, layer.total, layer.done) == (0, 1234, False)
    assert tracker.status == f"pulling {dig[7:19]}"
    assert tracker.current_layer is layer


def test_totals_are_known_so_far_and_grow_with_each_layer() -> None:
    stream = pull_stream(MODEL_LAYERS, rate=20e6)
    tracker = PullTracker()
    totals = []
    for t, part in stream:
        tracker.update(part, now=t)
        totals.append(tracker.bytes_total)
    assert totals == sorted(totals)
    assert sorted(set(totals)) == [0, 50_000_000, 50_001_400, 50_001_496]


def test_speed_converges_to_the_transfer_rate_and_eta_follows() -> None:
    rate = 25e6
    stream = pull_stream([("model", 200_000_000)], rate=rate)
    tracker = PullTracker()
    for t, part in stream:
        tracker.update(part, now=t)
        if tracker.bytes_done >= 100_000_000:
            break
    assert tracker.speed == pytest.approx(rate, rel=0.02)
    remaining = 200_000_000 - tracker.bytes_done
    assert tracker.eta_s == pytest.approx(remaining / rate, rel=0.03)


def test_speed_is_smoothed_but_follows_a_change_within_seconds() -> None:
    dig = digest("model")
    tracker = PullTracker(smoothing_s=1.0)
    parts = list(layer_lines(dig, 10**10, rate=50e6, t0=0.0))
    t_end = 0.0
    for t, part in parts:
        if t > 5:
            break
        tracker.update(part, now=t)
        t_end, done = t, part.get("completed", 0)
    assert tracker.speed == pytest.approx(50e6, rel=0.02)
    # The link slows to 10 MB/s: one tick later the speed has not collapsed to it ...
    t, done = t_end + TICK, done + round(10e6 * TICK)
    after_one = []
    for _ in range(100):  # 6 s at the new rate
        tracker.update({"digest": dig, "total": 10**10, "completed": done}, now=t)
        after_one.append(tracker.speed)
        t, done = t + TICK, done + round(10e6 * TICK)
    assert after_one[0] is not None and after_one[0] > 40e6
    assert after_one[5] is not None and after_one[5] > 20e6
    # ... and a few time constants later it has followed.
    assert after_one[-1] == pytest.approx(10e6, rel=0.05)


def test_blob_already_present_counts_as_done_but_not_as_speed() -> None:
    stream = pull_stream(MODEL_LAYERS, rate=10e6, present=frozenset({"model"}))
    tracker = PullTracker()
    seen_speeds = []
    for t, part in stream:
        tracker.update(part, now=t)
        if tracker.speed is not None:
            seen_speeds.append(tracker.speed)
    (model_layer, *_rest) = tracker.layers
    assert model_layer.done and model_layer.completed == 50_000_000
    assert tracker.transferred == 1_400 + 96  # only template + params arrived
    assert all(s < 1e6 for s in seen_speeds)  # never a bogus 50 MB-in-no-time spike
    assert tracker.success and tracker.bytes_done == tracker.bytes_total


def test_resumed_pull_measures_only_new_bytes() -> None:
    rate = 8e6
    stream = pull_stream([("model", 40_000_000)], rate=rate, resumed={"model": 30_000_000})
    tracker = PullTracker()
    first_done = None
    for t, part in stream:
        tracker.update(part, now=t)
        if first_done is None and tracker.layers:
            first_done = tracker.bytes_done
        if tracker.bytes_done >= 38_000_000:
            break
    assert first_done == 30_000_000  # resumed from the bytes already on disk
    assert tracker.speed == pytest.approx(rate, rel=0.03)
    assert tracker.transferred == tracker.bytes_done - 30_000_000


def test_error_line_finishes_without_success() -> None:
    tracker = PullTracker()
    tracker.update({"status": "pulling manifest"}, now=0)
    tracker.update({"error": "pull model manifest: file does not exist"}, now=0.2)
    assert tracker.finished and not tracker.success
    assert tracker.error == "pull model manifest: file does not exist"
    assert tracker.snapshot()["error"] == tracker.error
    assert tracker.fraction is None


def test_stream_cut_mid_layer_is_not_finished() -> None:
    stream = pull_stream(MODEL_LAYERS, rate=20e6)
    tracker = PullTracker()
    feed(tracker, stream[: len(stream) // 2])
    assert not tracker.finished and not tracker.success
    assert tracker.fraction is not None and 0 < tracker.fraction < 1
    assert tracker.eta_s is not None and tracker.eta_s > 0


def test_bursts_with_identical_timestamps_stay_finite() -> None:
    dig = digest("model")
    tracker = PullTracker()
    for i in range(1, 200):  # a buffered burst: all lines read at the same instant
        tracker.update({"digest": dig, "total": 10**6, "completed": i * 1000}, now=5.0)
    tracker.update({"digest": dig, "total": 10**6, "completed": 300_000}, now=6.0)
    assert tracker.speed is not None and math.isfinite(tracker.speed)
    assert tracker.speed == pytest.approx(300_000 - 1000, rel=0.01)


def test_layer_restarting_lower_never_gives_negative_speed() -> None:
    dig = digest("model")
    tracker = PullTracker()
    tracker.update({"digest": dig, "total": 10**6, "completed": 1}, now=0)
    tracker.update({"digest": dig, "total": 10**6, "completed": 500_000}, now=1)
    tracker.update({"digest": dig, "total": 10**6, "completed": 100_000}, now=2)
    tracker.update({"digest": dig, "total": 10**6, "completed": 200_000}, now=3)
    assert tracker.speed is not None and tracker.speed >= 0
    assert tracker.bytes_done == 200_000


def test_uses_the_clock_when_no_time_is_given() -> None:
    clock = iter([10.0, 11.0, 12.0])
    tracker = PullTracker(clock=lambda: next(clock))
    dig = digest("model")
    tracker.update({"digest": dig, "total": 3000})
    tracker.update({"digest": dig, "total": 3000, "completed": 1000})
    tracker.update({"digest": dig, "total": 3000, "completed": 2000})
    assert tracker.elapsed_s == 2.0
    assert tracker.speed == pytest.approx(1000.0)


part_strategy = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["pulling manifest", "pulling abc", "writing manifest", ""]),
        "digest": st.sampled_from(["sha256:aa", "sha256:bb", "sha256:cc"]),
        "total": st.one_of(st.integers(-5, 10**9), st.floats(allow_nan=True), st.none()),
        "completed": st.one_of(st.integers(-5, 10**9), st.none(), st.text(max_size=3)),
    },
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0, 1e4), part_strategy), max_size=30))
def test_any_sequence_of_parts_keeps_sane_numbers(parts: list[tuple[float, dict]]) -> None:
    tracker = PullTracker()
    for t, part in sorted(parts, key=lambda p: p[0]):
        tracker.update(part, now=t)
        snap = tracker.snapshot()
        assert json.loads(json.dumps(snap)) == snap
        if snap["fraction"] is not None:
            assert 0.0 <= snap["fraction"] <= 1.0
        if snap["speed"] is not None:
            assert snap["speed"] >= 0 and math.isfinite(snap["speed"])
        if snap["eta_s"] is not None:
            assert snap["eta_s"] >= 0 and math.isfinite(snap["eta_s"])


# -- the terminal bar ------------------------------------------------------------------------


def test_terminal_bar_shows_bytes_speed_eta_and_layer(capsys: pytest.CaptureFixture[str]) -> None:
    from hfollama_widgets.terminal import TerminalPullBar

    stream = pull_stream(MODEL_LAYERS, rate=20e6)
    clock = iter(t for t, _ in stream)
    tracker = PullTracker(clock=lambda: next(clock))
    bar = TerminalPullBar("hf.co/x/y:Q4_K_M", tracker=tracker, mininterval=0)
    frames = []
    for _, part in stream:
        bar.update(part)
        frames.append(str(bar.bar))
    bar.close()
    err = capsys.readouterr().err
    mid = next(f for f in frames if "ETA" in f)
    model_short = digest("model")[7:19]
    assert "hf.co/x/y:Q4_K_M layer 1/1 " + model_short in mid
    assert "20.0 MB/s" in mid  # the tracker's speed, not tqdm's own
    assert "50.0M" in mid  # known total so far (1000-based)
    assert "100%" in err and "done, 50.0 MB" in err


def test_terminal_bar_in_a_real_process_writes_to_stderr() -> None:
    import subprocess
    import sys

    script = (
        "from hfollama_widgets.terminal import TerminalPullBar\n"
        "with TerminalPullBar('demo-model') as bar:\n"
        "    bar.update({'status': 'pulling manifest'})\n"
        "    for c in (0, 500_000, 1_000_000):\n"
        "        part = {'status': 'pulling abcdef012345', 'digest': 'sha256:abcdef012345',"
        " 'total': 1_000_000}\n"
        "        if c: part['completed'] = c\n"
        "        bar.update(part)\n"
        "    bar.update({'status': 'success'})\n"
        "print('returned')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "returned"
    assert "demo-model" in done.stderr
    assert "100%" in done.stderr
    assert "1.00M/1.00M, done, 1.0 MB" in done.stderr


def test_terminal_bar_that_fails_shows_the_last_state_it_reached() -> None:
    import io

    from hfollama_widgets.terminal import TerminalPullBar

    out = io.StringIO()
    part = {"status": "pulling abcdef012345", "digest": "sha256:abcdef012345", "total": 10**6}
    # a long mininterval: the bar has drawn only the first part when the pull breaks
    with pytest.raises(ConnectionError), TerminalPullBar("demo", file=out, mininterval=60) as bar:
        bar.update({"status": "pulling manifest"})
        bar.update({**part, "completed": 400_000})
        raise ConnectionError("cut")
    last = out.getvalue().replace("\n", "\r").rstrip("\r").rsplit("\r", 1)[-1]
    assert "layer 1/1 abcdef012345" in last and "400k/1.00M" in last
    assert last.rstrip().endswith("stopped")
