"""GGUFBrowser: explore a Hub repo's GGUF quants in a notebook, then pull and chat through Ollama.

>>> import hfollama_widgets as hfw
>>> browser = hfw.GGUFBrowser("bartowski/Llama-3.2-1B-Instruct-GGUF", client=hfw.Client())
>>> browser                                   # doctest: +SKIP  (renders the table)
>>> browser.observe(lambda change: print(change["new"]), "selected")   # doctest: +SKIP

The widget and the panel under it (where PullProgress and ChatWidget appear) are shown together
as ``ipywidgets.VBox([browser, browser.panel])``: standard ipywidgets containers, which work the
same in JupyterLab 4, Notebook 7, VS Code and nbconvert/voila.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import ipywidgets
import pandas as pd
import traitlets
from anywidget._util import repr_mimebundle

from hfollama_widgets.errors import (
    GatedRepoError,
    HFOllamaError,
    InvalidModelRefError,
    OllamaConnectionError,
)
from hfollama_widgets.widgets._browser_fit import FitState
from hfollama_widgets.widgets._browser_table import (
    access_note,
    filter_listing,
    hub_url,
    info_record,
    local_model_refs,
    table_rows,
)
from hfollama_widgets.widgets._common import STATIC, WidgetBase, start_thread

if TYPE_CHECKING:
    from hfollama_widgets.hardware import Hardware
    from hfollama_widgets.widgets.chat import ChatWidget
    from hfollama_widgets.widgets.pull_progress import PullProgress

__all__ = ["GGUFBrowser"]

_SEARCH_LIMIT = 20


class GGUFBrowser(WidgetBase):
    """Browse a Hub repo's GGUF files; pick a quant; pull it into Ollama; chat with it.

    Args:
        repo_id: a repo to load at once (``"owner/name"``); ``None`` starts empty.
        client: an :class:`hfollama_widgets.Client`; without one the browser only browses
            (no "in Ollama" markers, no Pull/Chat).
        hub: an :class:`hfollama_widgets.Hub` (default: ``hfw.default_hub()``).
        max_size_gb: the size filter (1e9 bytes); the "recommended" badge is the
            ``auto_select`` pick within it.
        hardware: the machine the fit columns are for (``None``: ``detect_hardware()``;
            ``False``: no memory/fit columns).
        context_length: the context length of the memory estimate (``None``: Ollama's
            default, 4096 or the model's maximum if smaller); the table has a control for it.

    Synced state is small: the shown table columns as records (``rows``), a few header fields
    (``info``), at most 20 search results. The full listing is :attr:`df` (Python only).

    >>> import hfollama_widgets as hfw
    >>> repo = "bartowski/Llama-3.2-1B-Instruct-GGUF"
    >>> b = hfw.GGUFBrowser(repo, max_size_gb=1.0).wait()  # doctest: +SKIP
    >>> b.selected = b.recommended; b.selected_row.size_gb  # doctest: +SKIP
    """

    _esm = STATIC / "browser.js"
    _css = STATIC / "browser.css"

    # --- synced state ---
    repo_id = traitlets.Unicode("").tag(sync=True)
    status = traitlets.Unicode("empty").tag(sync=True)  # empty | loading | ready | error
    info = traitlets.Dict().tag(sync=True)
    rows: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)  # quiet remarks (gated repo, Ollama unreachable)
    selected = traitlets.Unicode(None, allow_none=True).tag(sync=True)
    max_size_gb = traitlets.Float(None, allow_none=True).tag(sync=True)
    filter_text = traitlets.Unicode("").tag(sync=True)
    sort_by = traitlets.Unicode("size").tag(sync=True)
    sort_desc = traitlets.Bool(False).tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    searching = traitlets.Bool(False).tag(sync=True)
    search_results: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    has_client = traitlets.Bool(False).tag(sync=True)
    pulls = traitlets.Dict().tag(sync=True)  # model ref -> PullProgress state
    context_length = traitlets.Int(None, allow_none=True).tag(sync=True)  # for the fit columns
    fit = traitlets.Dict().tag(sync=True)  # FitState.describe() | {"available": False, "note"}

    def __init__(
        self,
        repo_id: str | None = None,
        *,
        client: Any | None = None,
        hub: Any | None = None,
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
        self._generation = 0
        self._threads: list[threading.Thread] = []
        self.panel = ipywidgets.VBox()
        self._box: ipywidgets.VBox | None = None
        self.pull_widgets: dict[str, PullProgress] = {}
        self.chat_widgets: dict[str, ChatWidget] = {}
        self.on_msg(self._on_front_end_msg)
        self.observe(self._on_max_size, names="max_size_gb")
        self.observe(self._on_context_length, names="context_length")
        if repo_id:
            self.load(repo_id)

    # --- public API ---------------------------------------------------------------------

    @property
    def hub(self) -> Any:
        """The Hub client used for listings (created on first use)."""
        if self._hub is None:
            from hfollama_widgets.hub import default_hub

            self._hub = default_hub()
        return self._hub

    @property
    def client(self) -> Any | None:
        """The Ollama client (``None``: browse only)."""
        return self._client

    @property
    def df(self) -> pd.DataFrame:
        """The full listing of the loaded repo: ``list_gguf_files`` columns plus ``in_ollama``,
        ``recommended`` and, once the header is read, ``add_fit_columns``' memory/fit columns.
        Empty before anything is loaded. Filters are not applied: see :attr:`filtered_df`."""
        if self._df is None:
            return pd.DataFrame()
        out = self._listing().copy()
        refs = out["model_ref"].astype("string").str.lower() if "model_ref" in out else None
        if refs is not None:
            rows = self.rows
            local = {r["ref"].lower() for r in rows if r.get("local") and r.get("ref")}
            out["in_ollama"] = refs.isin(local).fillna(False).astype(bool)
            rec = (self._recommended or "").lower()
            out["recommended"] = (refs == rec).fillna(False).astype(bool)
        return out

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
        df = self.df
        match = df[df["model_ref"].astype("string").str.lower() == self.selected.lower()]
        return None if match.empty else match.iloc[0]

    @property
    def recommended(self) -> str | None:
        """The model ref ``auto_select`` picks within :attr:`max_size_gb` (``None`` if none)."""
        return self._recommended

    def load(self, repo_id: str) -> None:
        """Load ``repo_id``'s listing and header in the background (the cell returns at once)."""
        repo_id = (repo_id or "").strip()
        try:
            from hfollama_widgets.refs import validate_repo_id

            repo_id = validate_repo_id(repo_id)
        except InvalidModelRefError as exc:
            self._show_error(exc)
            return
        with self._lock:
            self._generation += 1
            generation = self._generation
        with self.hold_sync():
            self._clear_error()
            self.repo_id = repo_id
            self.status = "loading"
            self.rows = []
            self.info = {"repo_id": repo_id}
            self.note = ""
            self.selected = None
            self.search_results = []
            self.fit = {}
        self._df = None
        self._fit = None
        self._recommended = None
        self._access_note = ""
        self._spawn(self._load_worker, repo_id, generation, name="hfw-browser-load")

    def search(self, query: str) -> None:
        """Search GGUF repos on the Hub (results appear under the search box)."""
        query = (query or "").strip()
        with self.hold_sync():
            self.query = query
            self._clear_error()
            self.search_results = []
            self.searching = bool(query)
        if query:
            self._spawn(self._search_worker, query, name="hfw-browser-search")

    def pull(self, model: str | None = None) -> PullProgress:
        """Pull ``model`` (default: :attr:`selected`) into Ollama; its PullProgress shows below."""
        from hfollama_widgets.widgets.pull_progress import PullProgress

        ref = self._pullable_ref(model)
        existing = self.pull_widgets.get(ref)
        if existing is not None:
            if existing.state in ("error", "cancelled"):
                existing.retry()  # Ollama resumes the layers it already has
            return existing
        widget = PullProgress(self._require_client(), ref, start=False)
        widget.observe(lambda change: self._on_pull_state(ref, change["new"]), names="state")
        self.pull_widgets[ref] = widget
        self._show_in_panel(widget)
        widget.start()
        return widget

    def chat(self, model: str | None = None) -> ChatWidget:
        """Open a ChatWidget on ``model`` (default: :attr:`selected`) below the browser."""
        from hfollama_widgets.widgets.chat import ChatWidget

        ref = self._pullable_ref(model)
        existing = self.chat_widgets.get(ref)
        if existing is not None:
            return existing
        widget = ChatWidget(self._require_client(), ref)
        self.chat_widgets[ref] = widget
        self._show_in_panel(widget)
        return widget

    def refresh_local(self) -> None:
        """Ask Ollama again which models it has (updates the "in Ollama" markers)."""
        self._spawn(self._local_worker, self._generation, name="hfw-browser-local")

    def wait(self, timeout: float | None = 60.0) -> GGUFBrowser:
        """Block until background loading/searching is done (for scripts and tests)."""
        for thread in list(self._threads):
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"GGUFBrowser: {thread.name} still running after {timeout}s")
        return self

    # --- display ------------------------------------------------------------------------

    def _text_repr(self) -> str:
        parts = [f"repo={self.repo_id!r}" if self.repo_id else "no repo"]
        if self.status == "ready":
            parts.append(f"{len(self.rows)} files")
        elif self.status in ("loading", "error"):
            parts.append(self.status)
        if self.selected:
            parts.append(f"selected={self.selected!r}")
        return f"GGUFBrowser({', '.join(parts)})"

    def _container(self) -> ipywidgets.VBox:
        if self._box is None:
            self._box = ipywidgets.VBox([self, self.panel])
        return self._box

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        # Show the browser with its panel (PullProgress / ChatWidget) under it.
        return repr_mimebundle(model_id=self._container().model_id, repr_text=self._text_repr())

    # --- background work ----------------------------------------------------------------

    def _spawn(self, target: Any, *args: Any, name: str) -> None:
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(start_thread(target, *args, name=name))

    def _current(self, generation: int) -> bool:
        return generation == self._generation

    def _load_worker(self, repo_id: str, generation: int) -> None:
        hub = self.hub
        try:
            df = hub.list_gguf_files(repo_id, include_sidecars=True)
        except Exception as exc:
            if self._current(generation):
                with self.hold_sync():
                    self.status = "error"
                    self.info = {}
                    self._show_error(exc)
            return
        info: Any = None
        try:
            info = hub.model_info(repo_id)
        except Exception:
            info = None  # the listing is what matters; the header just shows less
        recommended = self._pick(repo_id, self.max_size_gb)
        local, note = self._fetch_local()
        if not self._current(generation):
            return
        self._df = df
        self._local = local
        self._recommended = recommended
        url = hub_url(getattr(hub, "endpoint", None), repo_id)
        record = info_record(info, repo_id=repo_id, url=url)
        self._access_note = access_note(record)
        with self.hold_sync():
            self.info = record
            self.note = self._join_note(note)
            self.rows = table_rows(df, local_refs=local, recommended_ref=recommended)
            self.status = "ready"
        self._fit_phase(repo_id, df, generation)

    def _fit_phase(self, repo_id: str, df: pd.DataFrame, generation: int) -> None:
        """Memory/fit columns: one header read over HTTP Range; skipped quietly on failure."""
        if self._hardware_arg is False:
            return
        try:
            if self._hardware is None:
                if self._hardware_arg is None or self._hardware_arg is True:
                    from hfollama_widgets.hardware import detect_hardware

                    self._hardware = detect_hardware()
                else:
                    self._hardware = self._hardware_arg
            fit = FitState.read(self.hub, repo_id, df, self._hardware)
            fit.columns(df, self.context_length)  # compute once here, off the kernel thread
        except Exception as exc:
            if isinstance(exc, GatedRepoError):
                reason = (
                    f"{repo_id} is gated, so the GGUF header cannot be read without access. "
                    + (exc.fix or "")
                ).strip()
            else:
                reason = exc.message if isinstance(exc, HFOllamaError) else type(exc).__name__
            if self._current(generation):
                self.fit = {"available": False, "note": f"No memory estimate: {reason}"}
            return
        if self._current(generation):
            self._fit = fit
            with self.hold_sync():
                self.fit = fit.describe()
                self._rebuild_rows()

    def _local_worker(self, generation: int) -> None:
        local, note = self._fetch_local()
        if self._current(generation) and self._df is not None:
            self._local = local
            with self.hold_sync():
                self.note = self._join_note(note)
                self._rebuild_rows()

    def _search_worker(self, query: str) -> None:
        try:
            found = self.hub.search_models(query, limit=_SEARCH_LIMIT)
            results = [
                {
                    "id": str(row["id"]),
                    "downloads": _int_or_none(row.get("downloads")),
                    "likes": _int_or_none(row.get("likes")),
                }
                for _, row in found.head(_SEARCH_LIMIT).iterrows()
            ]
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

    def _pick(self, repo_id: str, max_size_gb: float | None) -> str | None:
        try:
            ref, _row = self.hub.auto_select(repo_id, max_size_gb=max_size_gb)
        except Exception:
            return None  # nothing fits / split-only: no badge, the table says the rest
        return str(ref)

    def _join_note(self, ollama_note: str) -> str:
        return " ".join(part for part in (self._access_note, ollama_note) if part)

    def _fetch_local(self) -> tuple[set[str], str]:
        if self._client is None:
            return set(), "No Ollama client: pass client=hfw.Client() to pull and chat."
        try:
            return local_model_refs(self._client.list()), ""
        except HFOllamaError as exc:
            return set(), f"Ollama not reachable, so no 'in Ollama' markers ({exc.message})"
        except Exception:
            return set(), "Ollama not reachable, so no 'in Ollama' markers."

    def _on_max_size(self, change: dict[str, Any]) -> None:
        if self._df is None or not self.repo_id:
            return
        self._spawn(self._recommend_worker, self._generation, name="hfw-browser-recommend")

    def _recommend_worker(self, generation: int) -> None:
        limit = self.max_size_gb
        recommended = self._pick(self.repo_id, limit)
        if self._current(generation) and limit == self.max_size_gb:
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

    def _require_client(self) -> Any:
        if self._client is None:
            raise OllamaConnectionError(
                "This browser has no Ollama client, so it cannot pull or chat.",
                fix="Create it with a client: hfw.GGUFBrowser(repo_id, client=hfw.Client()).",
            )
        return self._client

    def _pullable_ref(self, model: str | None) -> str:
        ref = model or self.selected
        if not ref:
            raise InvalidModelRefError(
                "No model selected.", fix="Click a row of the table, or pass a model reference."
            )
        blocked = self._blocked_row(ref)
        if blocked is not None:
            raise InvalidModelRefError(
                f"{ref} cannot be pulled into Ollama: {blocked.get('why')}",
                fix="Pick a single-file model quant from the table.",
            )
        return str(ref)

    def _blocked_row(self, ref: str) -> dict[str, Any] | None:
        """The shown row ``ref`` points at if that row is not pullable (split, sidecar)."""
        from hfollama_widgets.refs import parse_model_ref

        try:
            parsed = parse_model_ref(ref)
        except InvalidModelRefError:
            return None  # not an hf.co ref: Ollama answers for itself
        if parsed.repo_id.lower() != self.repo_id.lower() or not parsed.quantization:
            return None
        tag = parsed.quantization.lower()
        for row in self.rows:
            if row.get("pullable"):
                continue
            names = {str(row.get("filename") or ""), str(row.get("tag") or "")}
            names |= {n.rsplit("/", 1)[-1] for n in names}
            if tag in {n.lower() for n in names if n}:
                return row
        return None

    def _show_in_panel(self, widget: Any) -> None:
        self.panel.children = (*self.panel.children, widget)

    def _set_pull_status(self, ref: str, status: str) -> None:
        with self._lock:  # pull threads report concurrently
            self.pulls = {**self.pulls, ref: status}

    def _on_pull_state(self, ref: str, state: str) -> None:
        self._set_pull_status(ref, state)
        if state == "success":
            self._local.add(ref.lower())
            self._rebuild_rows()

    def _on_front_end_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "load":
                self.load(str(content.get("repo_id") or ""))
            elif kind == "search":
                self.search(str(content.get("query") or ""))
            elif kind == "pull":
                self.pull(str(content.get("ref") or "") or None)
            elif kind == "chat":
                self.chat(str(content.get("ref") or "") or None)
            elif kind == "refresh_local":
                self.refresh_local()
        except Exception as exc:  # shown in the widget; the browser stays usable
            self._show_error(exc)

    def close(self) -> None:
        """Close the widget, its panel and the container it is displayed in."""
        if self._box is not None:
            self._box.close()
        self.panel.close()
        super().close()


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None or pd.isna(value) else int(value)
    except (TypeError, ValueError):
        return None
