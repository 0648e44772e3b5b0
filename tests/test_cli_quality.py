"""The quality columns in ``hfollama ls`` and ``hfollama info``: a subprocess against FakeHub."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_cli import CATALOGUE, hfollama

from hfollama_widgets import quality

L8B = "bartowski/Meta-Llama-3.1-8B-Instruct-GGUF"


def test_ls_shows_effective_bpw_ppl_kld_and_the_front(fake_hub: Any) -> None:
    result = hfollama("ls", L8B, hub=fake_hub)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = lines[0].split()
    assert header[:8] == ["quant", "size_gb", "bits", "eff_bpw", "quality", "ppl+", "kld", "pareto"]
    total = json.loads((CATALOGUE / f"{L8B.replace('/', '__')}.json").read_text())["gguf"]["total"]
    q4 = next(r.split() for r in lines[2:] if r.split()[0] == "Q4_K_M")
    assert q4[4:7] == ["Good", "0.1754", "0.0313"]
    assert 4.6 < float(q4[3]) < 5.2
    assert float(q4[1]) * 1e9 * 8 / total == pytest.approx(float(q4[3]), abs=0.02)
    start = lines[0].index("pareto")
    marks = {r[start : start + len("pareto")].strip() for r in lines[2:]}
    assert marks == {"*", "-"}


def test_ls_json_carries_the_raw_columns(fake_hub: Any) -> None:
    result = hfollama("ls", L8B, "--json", hub=fake_hub)
    rows = json.loads(result.stdout)
    by_quant = {r["quantization"]: r for r in rows}
    assert by_quant["Q8_0"]["ppl_delta"] == quality.ppl_delta("Q8_0")
    assert all(r["effective_bpw"] for r in rows)
    assert {type(r["pareto"]) for r in rows} == {bool}


def test_info_names_the_files_quality(fake_hub: Any) -> None:
    data = json.loads(hfollama("info", L8B, "--json", hub=fake_hub).stdout)
    assert data["quality"]["quantization"] == "Q4_K_M" and data["quality"]["ppl_delta"] == 0.1754
    text = hfollama("info", L8B, hub=fake_hub).stdout
    assert "+0.1754 ppl / KLD 0.0313 (llama.cpp, Llama-3-8B)" in text
