// PullProgress front end: renders only from the synced traits (model, host, state, status,
// progress, error, attempt), so a re-render or a second view of the widget shows the same thing.
// Buttons send {type: "cancel" | "retry" | "start"} to Python. All text goes through textContent.
import { button, formatBytes, formatDuration, h, renderError, waitingText } from "./_shared.js";
import "./pull_progress.css";

const STATE_LABEL = {
  idle: "Not started",
  running: "Pulling",
  success: "Done",
  error: "Failed",
  cancelled: "Cancelled",
};

function shortDigest(digest) {
  const hex = String(digest || "").split(":").pop();
  return hex.slice(0, 12);
}

function percent(fraction) {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return null;
  return Math.max(0, Math.min(100, fraction * 100));
}

function bar(testid, label) {
  return h(
    "div",
    {
      className: "hfw-pull-bar",
      role: "progressbar",
      "aria-label": label,
      attrs: { "aria-valuemin": 0, "aria-valuemax": 100 },
      dataset: { testid },
    },
    h("div", { className: "hfw-pull-fill" }),
  );
}

/** Update a bar in place (elements are kept, so the width animates and handles stay valid). */
function setBar(el, fraction) {
  const pct = percent(fraction);
  const fill = el.firstChild;
  el.classList.toggle("hfw-pull-indeterminate", pct === null);
  if (pct === null) {
    fill.style.width = "";
    el.removeAttribute("aria-valuenow");
  } else {
    fill.style.width = `${pct.toFixed(1)}%`;
    el.setAttribute("aria-valuenow", pct.toFixed(0));
  }
}

function summaryText(progress, state) {
  const parts = [];
  const total = progress.total || 0;
  const done = progress.completed || 0;
  if (total > 0) parts.push(`${formatBytes(done)} / ${formatBytes(total)}`);
  const pct = percent(progress.fraction);
  if (pct !== null) parts.push(`${pct.toFixed(pct >= 10 ? 0 : 1)}%`);
  if (state === "running") {
    if (progress.speed) parts.push(`${formatBytes(progress.speed)}/s`);
    if (progress.eta_s !== null && progress.eta_s !== undefined && progress.speed) {
      parts.push(`ETA ${formatDuration(progress.eta_s)}`);
    }
  }
  return parts.join(" · ");
}

function layerRow(digest) {
  const name = shortDigest(digest);
  const size = h("span", { className: "hfw-pull-layer-size" });
  const row = h(
    "div",
    { className: "hfw-pull-layer", dataset: { testid: "layer", digest } },
    h("span", { className: "hfw-pull-layer-digest hfw-mono", title: digest }, name),
    bar("layer-bar", `layer ${name}`),
    size,
  );
  row.hfwSize = size;
  return row;
}

function updateLayerRow(row, layer, current) {
  const total = layer.total || 0;
  row.dataset.done = String(Boolean(layer.done));
  setBar(row.querySelector(".hfw-pull-bar"), total ? (layer.completed || 0) / total : null);
  row.hfwSize.textContent = layer.done
    ? `${formatBytes(total)} ✓`
    : `${formatBytes(layer.completed || 0)} / ${formatBytes(total)}`;
  row.classList.toggle("hfw-pull-layer-current", layer.digest === current);
}

function finalText(state, progress) {
  if (state === "success") {
    const size = progress.total ? ` (${formatBytes(progress.total)}` : "";
    const time = progress.elapsed_s ? ` in ${formatDuration(progress.elapsed_s)})` : size ? ")" : "";
    return `Pulled${size}${time}. Ready to use.`;
  }
  if (state === "cancelled") {
    const pct = percent(progress.fraction);
    const at = pct !== null ? ` at ${pct.toFixed(0)}%` : "";
    return `Cancelled${at}. Retry resumes from the bytes Ollama already has.`;
  }
  return "";
}

function render({ model, el }) {
  const title = h("span", { className: "hfw-pull-model hfw-mono", dataset: { testid: "model" } });
  const badge = h("span", { className: "hfw-pull-badge", dataset: { testid: "state" } });
  const host = h("span", { className: "hfw-pull-host hfw-muted", dataset: { testid: "host" } });
  const status = h("div", { className: "hfw-pull-status", dataset: { testid: "status" }, "aria-live": "polite" });
  const overallBar = bar("overall-bar", "pull progress");
  const overall = h("div", { className: "hfw-pull-overall" }, overallBar);
  const rows = new Map(); // digest -> row element, reused across updates
  const summary = h("div", { className: "hfw-pull-summary hfw-muted", dataset: { testid: "summary" } });
  const layers = h("div", { className: "hfw-pull-layers", dataset: { testid: "layers" } });
  const final = h("div", { className: "hfw-pull-final", dataset: { testid: "final" } });
  const errorBox = h("div", { className: "hfw-pull-error" });
  const send = (type) => model.send({ type });
  const cancelBtn = button("Cancel", () => send("cancel"), { dataset: { testid: "cancel" } });
  const retryBtn = button("Retry", () => send("retry"), { className: "hfw-primary", dataset: { testid: "retry" } });
  const startBtn = button("Pull", () => send("start"), { className: "hfw-primary", dataset: { testid: "start" } });
  const actions = h("div", { className: "hfw-pull-actions" }, startBtn, cancelBtn, retryBtn);

  const root = h(
    "div",
    { className: "hfw-root hfw-pull", dataset: { testid: "pull-progress" } },
    h("div", { className: "hfw-pull-header" }, badge, title, host),
    status,
    overall,
    summary,
    layers,
    final,
    errorBox,
    actions,
  );
  el.replaceChildren(root);

  // Until Ollama's first line (status "starting") the status says how long it has waited,
  // ticking here in the page; Cancel works during the wait.
  let waitSince = null;
  let waitAttempt = null;
  function renderWaiting() {
    const waiting = model.get("state") === "running" && model.get("status") === "starting";
    root.classList.toggle("hfw-pull-waiting", waiting);
    if (!waiting) {
      waitSince = null;
      delete status.dataset.waiting;
      return;
    }
    if (waitSince === null || waitAttempt !== model.get("attempt")) {
      waitSince = Date.now();
      waitAttempt = model.get("attempt");
    }
    const { seconds, text } = waitingText("answer", waitSince);
    status.dataset.waiting = String(seconds);
    status.textContent = text;
  }
  const ticker = setInterval(renderWaiting, 500);

  function update() {
    const state = model.get("state") || "idle";
    const progress = model.get("progress") || {};
    const error = model.get("error");
    root.dataset.state = state;
    badge.textContent = STATE_LABEL[state] || state;
    title.textContent = model.get("model") || "";
    const hostText = model.get("host");
    host.textContent = hostText ? `via ${hostText}` : "";
    status.textContent = state === "running" ? model.get("status") || progress.status || "" : "";
    status.hidden = state !== "running";

    setBar(overallBar, state === "success" ? 1 : progress.fraction);
    // Nothing to show before a start, or after a failure that came before any layer.
    overall.hidden = state === "idle" || (state !== "running" && state !== "success" && !(progress.total > 0));
    summary.textContent = summaryText(progress, state);

    const current = state === "running" ? progress.current : null;
    const wanted = (progress.layers || []).map((layer) => {
      let row = rows.get(layer.digest);
      if (!row) rows.set(layer.digest, (row = layerRow(layer.digest)));
      updateLayerRow(row, layer, current);
      return row;
    });
    for (const digest of [...rows.keys()]) {
      if (!wanted.includes(rows.get(digest))) rows.delete(digest);
    }
    const same = wanted.length === layers.children.length && wanted.every((row, i) => layers.children[i] === row);
    if (!same) layers.replaceChildren(...wanted);
    layers.hidden = wanted.length === 0;

    final.textContent = finalText(state, progress);
    final.hidden = !final.textContent;
    renderError(errorBox, state === "error" ? error : null);

    startBtn.hidden = state !== "idle";
    cancelBtn.hidden = state !== "running";
    retryBtn.hidden = state !== "error" && state !== "cancelled";
    renderWaiting();
  }

  for (const name of ["state", "status", "progress", "error", "model", "host", "attempt"]) {
    model.on(`change:${name}`, update);
  }
  update();
  // Listeners are tagged per view by anywidget and removed with it; the ticker with the view.
  return () => clearInterval(ticker);
}

export default { render };
