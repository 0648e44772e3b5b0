"""GGUFBrowser: explore a Hub repo's GGUF quants in a notebook, then pull and chat through Ollama.

Example (against the real Hub and Ollama)::

    import hfollama_widgets as hfw
    browser = hfw.GGUFBrowser("bartowski/Llama-3.2-1B-Instruct-GGUF",
                              client=hfw.Client())
    browser                                   # renders the table
    browser.observe(lambda change: print(change["new"]), "selected")

What Pull and Chat open (a PullProgress, a ChatWidget) appears inside the browser's own view,
under the table: their state is relayed through the browser's ``children`` trait and their
messages through the browser's own, so any anywidget front end (JupyterLab, Notebook 7, VS Code,
marimo) shows them, with no ipywidgets container.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pandas as pd
import traitlets
from anywidget._util import repr_mimebundle

from hfollama_widgets.checks import positive_int, positive_number
from hfollama_widgets.errors import HFOllamaError, InvalidModelRefError
from hfollama_widgets.hub import Hub, default_hub
from hfollama_widgets.ollama import Client
from hfollama_widgets.repo_input import split_repo_input
from hfollama_widgets.widgets._base import STATIC, Job, Jobs, WidgetBase
from hfollama_widgets.widgets.browser.actions import FRONT_END_ACTIONS, ModelPanel, pullable_ref
from hfollama_widgets.widgets.browser.frames import marked_listing, row_for_ref, text_summary
from hfollama_widgets.widgets.browser.inputs import CheckedNumber, is_repo_input, quant_ref
from hfollama_widgets.widgets.browser.loading import (
    SEARCH_LIMIT,
    fetch_local,
    fit_failure,
    hardware_for,
    load_repo,
    loading_state,
    read_fit,
    recommend,
    search_records,
)
from hfollama_widgets.widgets.browser.table import filter_listing, table_rows

if TYPE_CHECKING:
    import ipywidgets

    from hfollama_widgets.hardware import Hardware
    from hfollama_widgets.widgets.browser.fit import FitState
    from hfollama_widgets.widgets.chat import ChatWidget
    from hfollama_widgets.widgets.pull_progress import PullProgress

__all__ = ["GGUFBrowser"]


class GGUFBrowser(WidgetBase):
    """Browse a Hub repo's GGUF files; pick a quant; pull it into Ollama; chat with it.

    Args:
        repo_id: a repo to load at once: ``"owner/name"``, ``hf.co/…`` or its page URL, with an
            optional ``":Q4_K_M"`` (that row is selected once loaded); ``None`` starts empty.
        client: an :class:`hfollama_widgets.Client`; without one the browser only browses
            (no "in Ollama" markers, no Pull/Chat).
        hub: an :class:`hfollama_widgets.Hub` (default: ``hfw.default_hub()``).
        max_size_gb: the size filter (1e9 bytes, a number > 0 or ``None``); the "recommended"
            badge is the ``auto_select`` pick within it. A bad value raises
            ``InvalidArgumentError`` / ``InvalidArgumentTypeError``.
        hardware: the machine the fit columns are for (``None``: ``detect_hardware()``;
            ``False``: no memory/fit columns).
        context_length: the context length of the memory estimate (``None``: Ollama's
            default, 4096 or the model's maximum if smaller; else a whole number > 0); the table
            has a control for it.

    Synced state is small: the shown table columns as records (``rows``), a few header fields
    (``info``), at most 20 search results. The full listing is :attr:`df` (Python only).

    Example (against the real Hub and Ollama)::

        import hfollama_widgets as hfw
        repo = "bartowski/Llama-3.2-1B-Instruct-GGUF"
        b = hfw.GGUFBrowser(repo, max_size_gb=1.0).wait()
        b.selected = b.recommended; b.selected_row.size_gb
    """

    _esm = STATIC / "browser.js"
    _css = STATIC / "browser.css"
    front_end_actions = FRONT_END_ACTIONS

    # --- synced state ---
    repo_id = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("empty").tag(sync=True)  # empty | loading | ready | error
    info = traitlets.Dict().tag(sync=True)
    rows: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)  # quiet remarks (gated repo, Ollama unreachable)
    selected = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    max_size_gb = CheckedNumber(positive_number).tag(sync=True)  # checks: typed errors
    filter_text = traitlets.Unicode("").tag(sync=True)
    sort_by = traitlets.Unicode("size").tag(sync=True)
    sort_desc = traitlets.Bool(False).tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    searching = traitlets.Bool(False).tag(sync=True)
    search_results: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    has_client = traitlets.Bool(False).tag(sync=True)
    pulls = traitlets.Dict().tag(sync=True)  # model ref -> PullProgress state
    context_length = CheckedNumber(positive_int).tag(sync=True)  # for the fit columns
    fit = traitlets.Dict().tag(sync=True)  # FitState.describe() | {"available": False, "note"}
    children = traitlets.Dict().tag(sync=True)  # id -> {"kind", "ref", "state"}: ModelPanel

    def __init__(
        self,
        repo_id: str | None = None,
        *,
        client: Client | None = None,
        hub: Hub | None = None,
        max_size_gb: float | None = None,
        hardware: Hardware | bool | None = None,
        context_length: int | None = None,
    ) -> None:
        super().__init__(
            max_size_gb=max_size_gb, has_client=client is not None, context_length=context_length
        )
        self._client = client
        self._hub = hub
        self._df: pd.DataFrame | None = None
        self._hardware_arg = hardware
        self._hardware: Hardware | None = None
        self._fit: FitState | None = None
        self._local: set[str] = set()
        self._recommended: str | None = None
        self._access_note = ""  # "gated repo: accept the terms" (part of ``note``)
        self._lock = threading.Lock()
        self._jobs: Jobs[Job] = Jobs("GGUFBrowser")
        self._models = ModelPanel(
            client,
            self._on_pull_state,
            on_children=lambda kids: setattr(self, "children", kids),
            send=lambda msg: self.send(msg),
        )
        self.observe(self._on_max_size, names="max_size_gb")
        self.observe(self._on_context_length, names="context_length")
        if repo_id:
            self.load(repo_id)

    # --- public API ---------------------------------------------------------------------

    @property
    def hub(self) -> Hub:
        """The Hub client used for listings (created on first use)."""
        if self._hub is None:
            self._hub = default_hub()
        return self._hub

    @property
    def client(self) -> Client | None:
        """The Ollama client (``None``: browse only)."""
        return self._client

    @property
    def panel(self) -> ipywidgets.VBox:
        """An empty ``ipywidgets.VBox``, kept for compatibility: PullProgress and ChatWidget
        now appear inside the browser's own view (see :attr:`children`)."""
        return self._models.box

    @property
    def pull_widgets(self) -> dict[str, PullProgress]:
        """The PullProgress of each model ref pulled from this browser."""
        return self._models.pulls

    @property
    def chat_widgets(self) -> dict[str, ChatWidget]:
        """The ChatWidget of each model ref chatted with from this browser."""
        return self._models.chats

    @property
    def df(self) -> pd.DataFrame:
        """The full listing of the loaded repo: ``list_gguf_files`` columns plus ``in_ollama``,
        ``recommended`` and, once the header is read, ``add_fit_columns``' memory/fit columns.
        Empty before anything is loaded. Filters are not applied: see :attr:`filtered_df`."""
        if self._df is None:
            return pd.DataFrame()
        return marked_listing(self._listing(), self.rows, recommended=self._recommended)

    @property
    def filtered_df(self) -> pd.DataFrame:
        """The rows the table shows: :attr:`df` with the size and text filters and the sort."""
        df = self.df
        if df.empty:
            return df
        return filter_listing(
            df,
            max_size_gb=self.max_size_gb,
            text=self.filter_text,
            sort_by=self.sort_by,
            descending=self.sort_desc,
        )

    @property
    def selected_row(self) -> pd.Series | None:
        """The listing row of :attr:`selected` (``None`` when nothing is selected)."""
        if not self.selected or self._df is None:
            return None
        return row_for_ref(self.df, self.selected)

    @property
    def recommended(self) -> str | None:
        """The model ref ``auto_select`` picks within :attr:`max_size_gb` (``None`` if none)."""
        return self._recommended

    def load(self, repo_id: str) -> None:
        """Load a repo's listing and header in the background (the cell returns at once).

        ``repo_id`` may be ``owner/name``, ``hf.co/…``, ``huggingface.co/…`` or a model-page URL
        (``/tree/…``, ``/blob/…``); a ``:Q4_K_M`` suffix (or a ``.gguf`` file URL) selects that
        row once loaded. A bad one is shown in the widget's error box."""
        try:
            repo_id, quant = split_repo_input(repo_id or "")
        except InvalidModelRefError as exc:
            self._show_error(exc)
            return
        generation = self._jobs.next_generation()
        with self.hold_sync():
            self._clear_error()
            for name, value in loading_state(repo_id).items():
                setattr(self, name, value)
        self._df = None
        self._fit = None
        self._recommended = None
        self._access_note = ""
        self._jobs.start(
            Job(self._load_worker, repo_id, generation, quant, name="hfw-browser-load")
        )

    def search(self, query: str) -> None:
        """Search GGUF repos on the Hub (results appear under the search box); a repo or its
        URL (``hf.co/o/name``, ``o/name:Q4_K_M``) pasted into the box is loaded instead."""
        query = (query or "").strip()
        if is_repo_input(query):
            self.load(query)
            return
        with self.hold_sync():
            self.query = query
            self._clear_error()
            self.search_results = []
            self.searching = bool(query)
        if query:
            self._jobs.start(Job(self._search_worker, query, name="hfw-browser-search"))

    def pull(self, model: str | None = None) -> PullProgress:
        """Pull ``model`` (default: :attr:`selected`) into Ollama; its PullProgress shows below."""
        return self._models.pull(self._pullable_ref(model))

    def chat(self, model: str | None = None) -> ChatWidget:
        """Open a ChatWidget on ``model`` (default: :attr:`selected`) below the browser."""
        return self._models.chat(self._pullable_ref(model))

    def refresh_local(self) -> None:
        """Ask Ollama again which models it has (updates the "in Ollama" markers)."""
        generation = self._jobs.generation
        self._jobs.start(Job(self._local_worker, generation, name="hfw-browser-local"))

    def wait(self, timeout: float | None = 60.0) -> GGUFBrowser:
        """Block until background loading/searching is done (for scripts and tests)."""
        self._jobs.wait(timeout)
        return self

    # --- display ------------------------------------------------------------------------

    def _text_repr(self) -> str:
        return text_summary(self.repo_id, self.status, len(self.rows), self.selected)

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        # Just the browser: what Pull and Chat open is drawn inside its own view.
        return repr_mimebundle(model_id=self.model_id, repr_text=self._text_repr())

    def handle_front_end(self, content: Any) -> None:
        if not self._models.from_front_end(content):  # else from a PullProgress / ChatWidget
            super().handle_front_end(content)

    # --- background work ----------------------------------------------------------------

    def _load_worker(self, repo_id: str, generation: int, quant: str | None = None) -> None:
        try:
            loaded = load_repo(self.hub, self._client, repo_id, max_size_gb=self.max_size_gb)
        except Exception as exc:
            if self._jobs.is_current_generation(generation):
                with self.hold_sync():
                    self.status = "error"
                    self.info = {}
                    self._show_error(exc)
            return
        if not self._jobs.is_current_generation(generation):
            return
        self._df = loaded.df
        self._local = loaded.local
        self._recommended = loaded.recommended
        self._access_note = loaded.access_note
        with self.hold_sync():
            self.info = loaded.info
            self.note = self._join_note(loaded.ollama_note)
            self.rows = table_rows(
                loaded.df, local_refs=loaded.local, recommended_ref=loaded.recommended
            )
            self.status = "ready"
            if quant is not None:  # ``owner/name:Q4_K_M``: select that row, or say why not
                try:
                    self.selected = quant_ref(loaded.df, repo_id, quant)
                except HFOllamaError as exc:
                    self._show_error(exc)
        self._fit_phase(repo_id, loaded.df, generation)

    def _fit_phase(self, repo_id: str, df: pd.DataFrame, generation: int) -> None:
        """Memory/fit columns: one header read over HTTP Range; skipped quietly on failure."""
        if self._hardware_arg is False:
            return
        try:
            if self._hardware is None:
                self._hardware = hardware_for(self._hardware_arg)
            fit = read_fit(self.hub, repo_id, df, self._hardware, self.context_length)
        except Exception as exc:
            if self._jobs.is_current_generation(generation):
                self.fit = fit_failure(exc, repo_id)
            return
        if self._jobs.is_current_generation(generation):
            self._fit = fit
            with self.hold_sync():
                self.fit = fit.describe()
                self._rebuild_rows()

    def _local_worker(self, generation: int) -> None:
        local, note = fetch_local(self._client)
        if self._jobs.is_current_generation(generation) and self._df is not None:
            self._local = local
            with self.hold_sync():
                self.note = self._join_note(note)
                self._rebuild_rows()

    def _search_worker(self, query: str) -> None:
        try:
            results = search_records(self.hub.search_models(query, limit=SEARCH_LIMIT))
        except Exception as exc:
            if query == self.query:
                with self.hold_sync():
                    self.searching = False
                    self._show_error(exc)
            return
        if query == self.query:
            with self.hold_sync():
                self.search_results = results
                self.searching = False

    def _join_note(self, ollama_note: str) -> str:
        return " ".join(part for part in (self._access_note, ollama_note) if part)

    def _on_max_size(self, change: dict[str, Any]) -> None:
        if self._df is None or not self.repo_id:
            return
        generation = self._jobs.generation
        self._jobs.start(Job(self._recommend_worker, generation, name="hfw-browser-recommend"))

    def _recommend_worker(self, generation: int) -> None:
        limit = self.max_size_gb
        recommended = recommend(self.hub, self.repo_id, limit)
        if self._jobs.is_current_generation(generation) and limit == self.max_size_gb:
            self._recommended = recommended
            self._rebuild_rows()

    def _listing(self) -> pd.DataFrame:
        assert self._df is not None
        if self._fit is None:
            return self._df
        return self._fit.columns(self._df, self.context_length)

    def _rebuild_rows(self) -> None:
        if self._df is not None:
            self.rows = table_rows(
                self._listing(), local_refs=self._local, recommended_ref=self._recommended
            )

    def _on_context_length(self, change: dict[str, Any]) -> None:
        if self._fit is not None and self._df is not None:
            self._rebuild_rows()

    # --- pull / chat --------------------------------------------------------------------

    def _pullable_ref(self, model: str | None) -> str:
        return pullable_ref(model or self.selected, self.rows, repo_id=self.repo_id)

    def _on_pull_state(self, ref: str, state: str) -> None:
        with self._lock:  # pull threads report concurrently
            self.pulls = {**self.pulls, ref: state}
        if state == "success":
            self._local.add(ref.lower())
            self._rebuild_rows()

    def close(self) -> None:
        """Close the widget and its (empty) panel."""
        self._models.close()
        super().close()
