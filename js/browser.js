// GGUFBrowser front end: repo box + Hub search, header, filters, size/quality chart (_chart.js), quant table
// (rows: _browser_table.js), Pull/Chat.
// Every Hub-provided string (repo ids, file names, quant labels) goes through textContent (h()).
import "./browser.css";
import { bodyRow, headRow } from "./_browser_table.js";
import { renderChart } from "./_chart.js";
import { embedChildren } from "./_embedded.js";
import { button, h, renderError } from "./_shared.js";
import { filterRows, formatCount, formatParams, formatTokens, sortRows } from "./_table.js";

function looksLikeRepoId(text) {
  return /^[\w.-]+\/[\w.-]+$/.test(text);
}

function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

function render({ model, el }) {
  const root = h("div", { className: "hfw-root hfw-browser", dataset: { testid: "gguf-browser" } });
  // what Pull and Chat open (PullProgress, ChatWidget views), under the browser (_embedded.js)
  const panel = h("div", { className: "hfw-browser-panel", dataset: { testid: "browser-panel" } });
  el.append(root, panel);
  const closeChildren = embedChildren(model, panel);

  // --- repo box + search ---
  const repoInput = h("input", {
    type: "text",
    className: "hfw-input hfw-repo-input",
    placeholder: "owner/repo-GGUF, or words to search the Hub",
    spellcheck: false,
    autocomplete: "off",
    "aria-label": "Repository id or search words",
    dataset: { testid: "repo-input" },
    value: model.get("repo_id") || model.get("query") || "",
  });
  const loadButton = button("Load", () => load(), { className: "hfw-primary", dataset: { testid: "load-button" } });
  const searchButton = button("Search", () => search(), { dataset: { testid: "search-button" } });
  const searchStatus = h("span", { className: "hfw-muted hfw-search-status", dataset: { testid: "search-status" } });
  const results = h("ul", { className: "hfw-results", dataset: { testid: "search-results" }, "aria-label": "Search results" });
  repoInput.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const text = repoInput.value.trim();
    if (looksLikeRepoId(text)) load();
    else search();
  });

  function load(repoId) {
    const id = (repoId ?? repoInput.value).trim();
    if (!id) return;
    repoInput.value = id;
    model.send({ type: "load", repo_id: id });
  }
  function search() {
    const query = repoInput.value.trim();
    if (!query) return;
    model.send({ type: "search", query });
  }

  const errorBox = h("div", { className: "hfw-error-box", hidden: true });
  const status = h("div", { className: "hfw-status", dataset: { testid: "browser-status" }, "aria-live": "polite" });
  const header = h("div", { className: "hfw-header", dataset: { testid: "header" } });
  const note = h("div", { className: "hfw-note hfw-muted", dataset: { testid: "note" } });

  // --- filters ---
  const maxSize = h("input", {
    type: "number",
    min: "0.1",
    step: "0.1",
    className: "hfw-input hfw-max-size",
    placeholder: "any",
    "aria-label": "Maximum size in GB",
    dataset: { testid: "max-size" },
  });
  const slider = h("input", { type: "range", min: "0.1", step: "0.1", className: "hfw-slider", "aria-label": "Maximum size slider", dataset: { testid: "max-size-slider" } });
  const clearMax = button("×", () => setMaxSize(null, true), { className: "hfw-icon", title: "No size limit", dataset: { testid: "max-size-clear" } });
  const filterText = h("input", {
    type: "search",
    className: "hfw-input hfw-filter",
    placeholder: "filter: q4, K_M, high…",
    "aria-label": "Filter rows by text",
    dataset: { testid: "filter-text" },
    value: model.get("filter_text") || "",
  });
  const count = h("span", { className: "hfw-muted hfw-count", dataset: { testid: "row-count" } });
  const context = h("select", {
    className: "hfw-input hfw-context",
    "aria-label": "Context length for the memory estimate",
    title: "Context length (tokens) the memory estimate is for: the KV cache grows with it",
    dataset: { testid: "context-length" },
    onchange: () => {
      model.set("context_length", context.value === "" ? null : Number(context.value));
      model.save_changes();
    },
  });
  const contextField = h("label", { className: "hfw-field", dataset: { testid: "context-field" } }, "Context ", context);
  const fitNote = h("div", { className: "hfw-note hfw-muted", dataset: { testid: "fit-note" } });
  const filters = h(
    "div",
    { className: "hfw-filters" },
    h("label", { className: "hfw-field" }, "Max size ", maxSize, " GB ", slider, clearMax),
    h("label", { className: "hfw-field" }, "Filter ", filterText),
    contextField,
    count,
  );

  // --- chart (the rows the table shows) ---
  const chart = h("div", { className: "hfw-chart", dataset: { testid: "chart" } });

  // --- table ---
  const thead = h("thead");
  const tbody = h("tbody");
  const table = h("table", { className: "hfw-table", dataset: { testid: "table" } }, thead, tbody);
  const tableWrap = h("div", { className: "hfw-table-wrap" }, table);
  const empty = h("div", { className: "hfw-empty hfw-muted", dataset: { testid: "no-match" } });

  root.append(
    h("div", { className: "hfw-repo-bar" }, repoInput, loadButton, searchButton, searchStatus),
    results,
    errorBox,
    status,
    header,
    note,
    filters,
    fitNote,
    chart,
    tableWrap,
    empty,
  );

  // Local (not yet synced) filter values, so typing is instant.
  let localMax = model.get("max_size_gb");
  let localText = model.get("filter_text") || "";

  const saveText = debounce(() => {
    model.set("filter_text", localText);
    model.save_changes();
  }, 300);

  function setMaxSize(value, save) {
    localMax = value === null || value === "" || Number.isNaN(Number(value)) ? null : Math.max(0.1, Number(value)); // Python wants > 0
    if (save) {
      model.set("max_size_gb", localMax);
      model.save_changes();
    }
    renderFilters();
    renderTable();
  }
  maxSize.addEventListener("input", () => setMaxSize(maxSize.value === "" ? null : maxSize.value, false));
  maxSize.addEventListener("change", () => setMaxSize(maxSize.value === "" ? null : maxSize.value, true));
  slider.addEventListener("input", () => setMaxSize(sliderValue(), false));
  slider.addEventListener("change", () => setMaxSize(sliderValue(), true));
  filterText.addEventListener("input", () => {
    localText = filterText.value;
    saveText();
    renderTable();
  });

  function sliderTop() {
    const sizes = (model.get("rows") || []).map((r) => r.size).filter((s) => typeof s === "number");
    return sizes.length ? Math.ceil(Math.max(...sizes) / 1e8) / 10 : 10;
  }
  function sliderValue() {
    const v = Number(slider.value);
    return v >= Number(slider.max) ? null : v; // the top of the slider means "no limit"
  }

  function renderFilters() {
    const top = sliderTop();
    slider.max = String(top);
    slider.value = String(localMax === null || localMax === undefined ? top : Math.min(localMax, top));
    if (document.activeElement !== maxSize) maxSize.value = localMax === null || localMax === undefined ? "" : String(localMax);
    clearMax.disabled = localMax === null || localMax === undefined;
    if (document.activeElement !== filterText && filterText.value !== localText) filterText.value = localText;
  }

  function renderFit() {
    const fit = model.get("fit") || {};
    contextField.hidden = !fit.available;
    if (fit.available) {
      const current = model.get("context_length");
      const options = [h("option", { value: "" }, `default (${formatTokens(fit.default_context)})`)];
      for (const n of fit.choices || []) options.push(h("option", { value: String(n) }, formatTokens(n) + (n === fit.model_context ? " (max)" : "")));
      if (current !== null && current !== undefined && !(fit.choices || []).includes(current)) options.push(h("option", { value: String(current) }, formatTokens(current)));
      context.replaceChildren(...options);
      context.value = current === null || current === undefined ? "" : String(current);
    }
    const text = fit.available ? (fit.hardware ? `Memory estimates for this machine: ${fit.hardware}.` : "") : fit.note || "";
    fitNote.textContent = text;
    fitNote.hidden = !text || model.get("status") !== "ready";
  }

  let searchedQuery = null;
  function renderSearch() {
    const searching = model.get("searching");
    const found = model.get("search_results") || [];
    searchButton.disabled = searching;
    if (searching) searchedQuery = model.get("query");
    const none = !searching && searchedQuery && searchedQuery === model.get("query") && found.length === 0 && !model.get("error");
    searchStatus.textContent = searching ? `Searching “${model.get("query")}”…` : none ? `No GGUF repos match “${searchedQuery}”.` : "";
    results.replaceChildren(
      ...found.map((r) =>
        h(
          "li",
          {},
          h(
            "button",
            { type: "button", className: "hfw-result", dataset: { testid: "search-result", repo: r.id }, title: `Load ${r.id}`, onclick: () => load(r.id) },
            h("span", { className: "hfw-result-id" }, r.id),
            h("span", { className: "hfw-muted" }, ` ↓ ${formatCount(r.downloads)} ♥ ${formatCount(r.likes)}`),
          ),
        ),
      ),
    );
    results.hidden = found.length === 0;
  }

  function renderStatus() {
    const s = model.get("status");
    if (s === "loading") searchedQuery = null;
    const repo = model.get("repo_id");
    root.dataset.status = s;
    loadButton.disabled = s === "loading";
    status.replaceChildren();
    if (s === "loading") status.append(h("span", { className: "hfw-spinner", attrs: { "aria-hidden": "true" } }), `Loading ${repo}…`);
    else if (s === "empty") status.append(h("span", { className: "hfw-muted" }, "Type a repo id (owner/name) and press Enter, or words to search GGUF repos on the Hub."));
  }

  function renderHeader() {
    const info = model.get("info") || {};
    const s = model.get("status");
    header.replaceChildren();
    header.hidden = s !== "ready" && s !== "loading";
    if (!info.repo_id) return;
    const title = h("span", { className: "hfw-title", dataset: { testid: "repo-title" } }, info.repo_id);
    const url = typeof info.url === "string" && /^https?:\/\//i.test(info.url) ? info.url : null;
    const link = url
      ? h("a", { className: "hfw-hub-link", href: url, target: "_blank", rel: "noopener noreferrer", title: "Open on the Hugging Face Hub", dataset: { testid: "hub-link" } }, title)
      : title;
    const facts = [];
    const add = (label, value, testid) => {
      if (value === null || value === undefined || value === "") return;
      facts.push(h("span", { className: "hfw-fact", dataset: { testid } }, h("span", { className: "hfw-muted" }, `${label} `), String(value)));
    };
    add("downloads", info.downloads !== undefined ? formatCount(info.downloads) : null, "info-downloads");
    add("likes", info.likes !== undefined ? formatCount(info.likes) : null, "info-likes");
    add("parameters", formatParams(info.parameters), "info-parameters");
    add("architecture", info.architecture, "info-architecture");
    add("context", formatTokens(info.context_length), "info-context");
    if (info.gated && info.gated !== "false") add("gated", String(info.gated), "info-gated");
    header.append(h("div", { className: "hfw-title-row" }, link), h("div", { className: "hfw-facts" }, ...facts));
  }

  function renderTable() {
    const rows = model.get("rows") || [];
    const s = model.get("status");
    const showFit = rows.some((r) => "mem" in r);
    const showSpeed = rows.some((r) => typeof r.tps === "number");
    thead.replaceChildren(headRow(model, showFit, showSpeed));
    const shown = sortRows(filterRows(rows, localMax, localText), model.get("sort_by"), model.get("sort_desc"));
    const selected = (model.get("selected") || "").toLowerCase();
    tbody.replaceChildren(...shown.map((row) => bodyRow(model, row, showFit, selected, showSpeed)));
    if (s === "ready") renderChart(chart, shown, { selected, onSelect: (row) => (model.set("selected", row.ref), model.save_changes()) });
    else chart.replaceChildren();
    chart.hidden = s !== "ready" || shown.length === 0 || chart.childElementCount === 0;
    tableWrap.hidden = s !== "ready" || rows.length === 0;
    filters.hidden = s !== "ready" || rows.length === 0;
    count.textContent = s === "ready" ? `${shown.length} of ${rows.length} files` : "";
    empty.hidden = !(s === "ready" && rows.length > 0 && shown.length === 0);
    empty.textContent = "No file matches the filters.";
  }

  function renderAll() {
    renderError(errorBox, model.get("error"));
    renderStatus();
    renderSearch();
    renderHeader();
    note.textContent = model.get("note") || "";
    note.hidden = !model.get("note");
    renderFilters();
    renderFit();
    renderTable();
  }

  const onRepo = () => {
    if (document.activeElement !== repoInput && model.get("repo_id")) repoInput.value = model.get("repo_id");
  };
  const onMax = () => {
    localMax = model.get("max_size_gb");
    renderFilters();
    renderTable();
  };
  const onText = () => {
    if (document.activeElement === filterText) return;
    localText = model.get("filter_text") || "";
    renderFilters();
    renderTable();
  };
  const handlers = {
    "change:error": () => renderError(errorBox, model.get("error")),
    "change:status": renderAll,
    "change:repo_id": onRepo,
    "change:info": renderHeader,
    "change:note": renderAll,
    "change:rows": () => (renderFilters(), renderTable()),
    "change:selected": renderTable,
    "change:sort_by": renderTable,
    "change:sort_desc": renderTable,
    "change:pulls": renderTable,
    "change:has_client": renderTable,
    "change:max_size_gb": onMax,
    "change:filter_text": onText,
    "change:fit": () => (renderFit(), renderTable()),
    "change:context_length": renderFit,
    "change:searching": renderSearch,
    "change:search_results": renderSearch,
  };
  for (const [name, fn] of Object.entries(handlers)) model.on(name, fn);
  renderAll();

  return () => {
    closeChildren();
    saveText.cancel();
    for (const [name, fn] of Object.entries(handlers)) model.off(name, fn);
  };
}

export default { render };
