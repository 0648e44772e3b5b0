"""Forgiving input, strict values (issue 9, item 4), over real HTTP (FakeHub, FakeOllama).

Every way people paste a repo works where a repo is taken (hf.pull/chat, GGUFBrowser, its
search box); ``:QUANT`` is used or refused with "drop `:QUANT`"; a bad number is a typed
error naming the parameter (also ValueError / TypeError), never a silent default.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import hfollama_widgets as hfw
from hfollama_widgets import hf
from hfollama_widgets.checks import positive_int, positive_number
from hfollama_widgets.errors import (
    HFOllamaError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
    InvalidModelRefError,
    QuantizationNotFoundError,
)
from hfollama_widgets.gguf import add_fit_columns, estimate_memory, select_fitting_row
from hfollama_widgets.hardware import GPU, Hardware
from hfollama_widgets.repo_input import merge_quantization, repo_id_from_input, split_repo_input
from hfollama_widgets.selection import best_quantization, candidates, select_row
from hfollama_widgets.testing import FakeOllama

REPO = "bartowski/Llama-3.2-1B-Instruct-GGUF"
Q8_FILE = "Llama-3.2-1B-Instruct-Q8_0.gguf"
FORMS = [
    REPO,
    f"  {REPO}/  ",
    f"{REPO}/tree/main",
    f"hf.co/{REPO}",
    f"huggingface.co/{REPO}",
    f"https://huggingface.co/{REPO}",
    f"https://huggingface.co/{REPO}/",
    f"https://hf.co/{REPO}/tree/main",
    f"https://huggingface.co/{REPO}/tree/main?not-for=us#files",
]
FILE_FORMS = [
    f"https://huggingface.co/{REPO}/blob/main/{Q8_FILE}",
    f"https://huggingface.co/{REPO}/resolve/main/{Q8_FILE}?download=true",
]
BAD_NUMBERS: list[tuple[object, type[Exception]]] = [
    (-1, InvalidArgumentError),
    (0, InvalidArgumentError),
    (float("nan"), InvalidArgumentError),
    (math.inf, InvalidArgumentError),
    ("abc", InvalidArgumentTypeError),
    ("8", InvalidArgumentTypeError),
    (True, InvalidArgumentTypeError),
]


@pytest.fixture()
def hub(fake_hub: Any) -> hfw.Hub:
    return hfw.Hub(endpoint=fake_hub.url)


@pytest.fixture()
def client(fake_ollama: FakeOllama) -> Iterator[hfw.Client]:
    fake_ollama.pull_speed = 1e12
    with hfw.Client(fake_ollama.url) as c:
        yield c


def browse(text: str | None, hub: hfw.Hub, **kwargs: Any) -> hfw.GGUFBrowser:
    started = time.monotonic()
    browser = hfw.GGUFBrowser(text, hub=hub, hardware=False, **kwargs).wait(30)
    assert time.monotonic() - started < 30
    return browser


def assert_typed(exc: BaseException, param: str, value: object, kind: type[Exception]) -> None:
    assert isinstance(exc, kind), exc
    assert isinstance(exc, TypeError if kind is InvalidArgumentTypeError else ValueError)
    assert isinstance(exc, HFOllamaError) and exc.fix
    assert exc.param == param  # type: ignore[attr-defined]
    assert exc.message.startswith(f"{param}={value!r} is not valid")


# --- forgiving repo input ----------------------------------------------------------------


@pytest.mark.parametrize("text", FORMS)
def test_every_repo_form_gives_the_repo_id(text: str) -> None:
    assert repo_id_from_input(text) == REPO
    assert split_repo_input(text) == (REPO, None)


@pytest.mark.parametrize("text", FILE_FORMS)
def test_a_gguf_file_url_names_its_repo_and_its_file(text: str) -> None:
    assert split_repo_input(text) == (REPO, Q8_FILE)
    assert repo_id_from_input(text) == REPO


def test_a_quant_suffix_is_split_off_or_refused_with_drop_it() -> None:
    assert split_repo_input(f"hf.co/{REPO}:q4_k_m") == (REPO, "Q4_K_M")
    with pytest.raises(InvalidModelRefError) as caught:
        repo_id_from_input(f"{REPO}:Q4_K_M")
    assert "Drop `:Q4_K_M`" in (caught.value.fix or "")
    assert merge_quantization(f"{REPO}:Q8_0", None) == (REPO, "Q8_0")
    assert merge_quantization(f"{REPO}:Q8_0", "q8_0") == (REPO, "Q8_0")
    with pytest.raises(InvalidModelRefError, match="Conflicting"):
        merge_quantization(f"{REPO}:Q8_0", "Q4_K_M")


@pytest.mark.parametrize(
    "text",
    ["", "   ", "nope", "a/b/c", "hf.co/hf.co/o/m", "https://github.com/o/m", "ftp://hf.co/o/m"],
)
def test_bad_repo_input_is_typed_and_never_points_at_parse_model_ref(text: str) -> None:
    with pytest.raises(InvalidModelRefError) as caught:
        repo_id_from_input(text)
    assert caught.value.fix and "parse_model_ref" not in str(caught.value)


def test_validate_repo_id_stays_strict() -> None:
    with pytest.raises(InvalidModelRefError):
        hfw.validate_repo_id(f"hf.co/{REPO}")
    with pytest.raises(InvalidModelRefError):
        hfw.validate_repo_id(f" {REPO}")


@pytest.mark.parametrize("text", FORMS + FILE_FORMS + [f"{REPO}:Q8_0"])
def test_hf_pull_takes_every_form(text: str, client: hfw.Client, hub: hfw.Hub) -> None:
    # the pull goes over HTTP to FakeOllama, which fetches from FakeHub
    assert hf.pull(client, text, hub=hub) == {"status": "success"}
    ref = hfw.parse_model_ref(hf.resolve_ref(text, hub=hub))
    assert ref.repo_id == REPO and ref.quantization


@pytest.mark.parametrize("text", FORMS + FILE_FORMS)
def test_browser_loads_every_form(text: str, hub: hfw.Hub) -> None:
    browser = browse(text, hub)
    assert (browser.repo_id, browser.status, browser.error) == (REPO, "ready", None)
    assert browser.rows
    if text in FILE_FORMS:
        assert browser.selected == f"hf.co/{REPO}:Q8_0"


def test_browser_selects_the_quant_of_a_suffix(hub: hfw.Hub) -> None:
    browser = browse(f"hf.co/{REPO}:q8_0", hub)
    assert browser.status == "ready" and browser.selected == f"hf.co/{REPO}:Q8_0"
    row = browser.selected_row
    assert row is not None and row["quantization"] == "Q8_0"


def test_browser_unknown_suffix_loads_the_repo_and_says_what_it_has(hub: hfw.Hub) -> None:
    browser = browse(f"{REPO}:IQ9_X", hub)
    assert browser.status == "ready" and browser.rows and browser.selected is None
    assert browser.error and browser.error["type"] == QuantizationNotFoundError.__name__
    assert "Q4_K_M" in browser.error["message"]


@pytest.mark.parametrize("text", ["nope", "hf.co/hf.co/o/m", "https://github.com/o/m", "o/m:"])
def test_browser_shows_bad_input_in_its_error_box(text: str, hub: hfw.Hub) -> None:
    browser = browse(text, hub)
    assert browser.status == "empty" and browser.error is not None
    assert browser.error["type"] == "InvalidModelRefError" and browser.error["fix"]
    assert "parse_model_ref" not in f"{browser.error['message']} {browser.error['fix']}"


def test_browser_search_box_loads_a_pasted_url_and_still_searches_words(hub: hfw.Hub) -> None:
    browser = browse(None, hub)
    browser.search(f"  https://huggingface.co/{REPO}/tree/main  ")
    browser.wait(30)
    assert (browser.repo_id, browser.status) == (REPO, "ready")
    browser.search(f"{REPO}:Q4_K_M")
    browser.wait(30)
    assert browser.selected == f"hf.co/{REPO}:Q4_K_M"
    browser.search("llama")
    browser.wait(30)
    assert browser.query == "llama" and browser.search_results and browser.repo_id == REPO


# --- strict values -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def listing(fake_hub: Any) -> Any:
    return hfw.Hub(endpoint=fake_hub.url).list_gguf_files(REPO)


@pytest.fixture(scope="module")
def meta(fake_hub: Any) -> Any:
    return hfw.Hub(endpoint=fake_hub.url).gguf_metadata(REPO, "Q4_K_M")


def size_calls(listing: Any, meta: Any) -> dict[str, Callable[[object], object]]:
    hw = Hardware(ram_gb=16)
    return {
        "candidates": lambda v: candidates(listing, max_size_gb=v),  # type: ignore[arg-type]
        "best_quantization": lambda v: best_quantization(listing, max_size_gb=v),  # type: ignore[arg-type]
        "select_row": lambda v: select_row(listing, repo_id=REPO, max_size_gb=v),  # type: ignore[arg-type]
        "select_fitting_row": lambda v: select_fitting_row(
            listing,
            meta,
            hw,
            repo_id=REPO,
            max_size_gb=v,  # type: ignore[arg-type]
        ),
        "resolve_ref": lambda v: hf.resolve_ref(REPO, "Q4_K_M", max_size_gb=v),  # type: ignore[arg-type]
    }


@pytest.mark.parametrize(("value", "kind"), BAD_NUMBERS)
@pytest.mark.parametrize(
    "where", ["candidates", "best_quantization", "select_row", "select_fitting_row", "resolve_ref"]
)
def test_bad_max_size_gb_is_a_typed_error(
    where: str, value: object, kind: type[Exception], listing: Any, meta: Any
) -> None:
    with pytest.raises(kind) as caught:
        size_calls(listing, meta)[where](value)
    assert_typed(caught.value, "max_size_gb", value, kind)


@pytest.mark.parametrize(("value", "kind"), [*BAD_NUMBERS, (4096.5, InvalidArgumentError)])
def test_bad_context_length_is_a_typed_error(
    value: object, kind: type[Exception], listing: Any, meta: Any
) -> None:
    hw = Hardware(ram_gb=16)
    calls = [
        lambda: estimate_memory(meta, context_length=value),  # type: ignore[arg-type]
        lambda: add_fit_columns(listing, meta, hw, context_length=value),  # type: ignore[arg-type]
        lambda: add_fit_columns(listing, None, None, context_length=value),  # type: ignore[arg-type]
        lambda: select_fitting_row(listing, meta, hw, repo_id=REPO, context_length=value),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(kind) as caught:
            call()
        assert_typed(caught.value, "context_length", value, kind)


def test_context_length_zero_is_not_the_default_any_more(meta: Any) -> None:
    assert (
        estimate_memory(meta)["context_length"]
        == estimate_memory(meta, context_length=None)["context_length"]
    )
    with pytest.raises(InvalidArgumentError, match="context_length=0"):
        estimate_memory(meta, context_length=0)
    assert estimate_memory(meta, context_length=8192.0)["context_length"] == 8192  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "kind"),
    [(-1, InvalidArgumentError), (math.nan, InvalidArgumentError), (math.inf, InvalidArgumentError),
     ("32", InvalidArgumentTypeError), (True, InvalidArgumentTypeError)],
)  # fmt: skip
@pytest.mark.parametrize("param", ["ram_gb", "vram_gb", "available_ram_gb", "gpu"])
def test_bad_hardware_is_a_typed_error(param: str, value: object, kind: type[Exception]) -> None:
    with pytest.raises(kind) as caught:
        if param == "gpu":
            GPU("RTX", value)  # type: ignore[arg-type]
        else:
            Hardware(**{"ram_gb": 16, param: value})  # type: ignore[arg-type]
    assert_typed(caught.value, "vram_gb" if param == "gpu" else param, value, kind)
    assert Hardware(ram_gb=0).gpu_budget_gb == 0.0  # 0 = unknown, as detect_hardware reports


def test_bad_kv_cache_type_and_hardware_are_typed(listing: Any, meta: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="kv_cache_type='q3'"):
        estimate_memory(meta, kv_cache_type="q3")
    with pytest.raises(InvalidArgumentTypeError, match="hardware='16GB'"):
        select_fitting_row(listing, meta, "16GB", repo_id=REPO)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentTypeError, match="hardware=None"):
        select_fitting_row(listing, meta, None, repo_id=REPO)  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "kind"), BAD_NUMBERS)
@pytest.mark.parametrize("param", ["max_size_gb", "context_length"])
def test_browser_traits_refuse_bad_values_from_python(
    param: str, value: object, kind: type[Exception], hub: hfw.Hub
) -> None:
    with pytest.raises(kind) as caught:
        hfw.GGUFBrowser(hub=hub, hardware=False, **{param: value})
    assert_typed(caught.value, param, value, kind)
    browser = browse(REPO, hub, **{param: 4})
    with pytest.raises(kind):
        setattr(browser, param, value)
    assert getattr(browser, param) == 4 and browser.error is None


def test_browser_bad_value_from_the_page_is_shown_and_the_widget_keeps_working(
    hub: hfw.Hub,
) -> None:
    browser = browse(REPO, hub, max_size_gb=1.0)
    browser.set_state({"max_size_gb": 0})  # what the page's slider sends at its left end
    assert browser.max_size_gb == 1.0
    assert browser.error and browser.error["type"] == "InvalidArgumentError"
    assert browser.error["message"].startswith("max_size_gb=0 ")
    browser.set_state({"context_length": -4096})
    assert browser.context_length is None and "context_length" in browser.error["message"]
    browser.set_state({"context_length": 8192})
    browser.set_state({"max_size_gb": 0.8})
    assert (browser.max_size_gb, browser.context_length, browser.error) == (0.8, 8192, None)
    browser.wait(30)
    assert all(r["size_bytes"] <= 0.8e9 for r in browser.filtered_df.to_dict("records"))
    browser.load(f"https://huggingface.co/{REPO}/tree/main")
    assert browser.wait(30).status == "ready"


def test_checks_accept_numbers_of_any_real_type() -> None:
    numpy = pytest.importorskip("numpy")
    assert positive_number("max_size_gb", numpy.float64(2.5)) == 2.5
    assert positive_int("context_length", numpy.int64(4096)) == 4096
    assert positive_number("max_size_gb", None) is None
    with pytest.raises(InvalidArgumentError):
        positive_number("max_size_gb", None, allow_none=False)
