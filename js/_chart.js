// GGUFBrowser's size/quality chart (Observable Plot, bundled by esbuild; no CDN). Not an entry point.
// x: download size; y: llama.cpp's published perplexity increase for the type (Llama-3-8B reference),
// or the tier's median when the type has none (hollow dots). Coloured by fit, Pareto front as a step
// line, recommended pick ringed. Hover shows the row, click selects it (the same "selected" trait as
// the table). Colours come from CSS classes (JupyterLab theme variables); Hub names only via textContent.
import * as Plot from "@observablehq/plot";
import { formatBytes, h } from "./_shared.js";

// fit label -> CSS modifier (browser.css: .hfw-chart-dot-*)
const FIT_GROUP = { full_gpu_offload: "good", partial_gpu_offload: "ok", fits_in_ram: "ok", too_large: "bad" };
const GROUP_TEXT = { good: "fits the GPU", ok: "partial / RAM", bad: "too large", none: "no estimate" };

const Y_FLOOR = 0.001;

function group(row) {
  return FIT_GROUP[row.fit] ?? "none";
}

/** The rows the chart can place: model files with a size and a quality loss. */
export function chartRows(rows) {
  return rows.filter((r) => (r.kind ?? "model") === "model" && typeof r.size === "number" && typeof r.loss === "number");
}

function num(value, digits) {
  return typeof value === "number" ? value.toFixed(digits) : "–";
}

/** The hover card for one row (text only). */
function tipContent(row) {
  const lines = [
    ["Size", formatBytes(row.size)],
    ["Bits/weight", typeof row.ebpw === "number" ? `${num(row.ebpw, 2)} (effective)` : `${num(row.bpw, 2)} (nominal)`],
    ["Quality", row.quality ?? "–"],
    ["+PPL", row.loss_est ? (row.loss === 0 ? "reference precision" : `none published; tier median ${num(row.loss, 3)}`) : num(row.ppl, 4)],
    ["KLD", num(row.kld, 4)],
  ];
  if (row.fit_text) lines.push(["Fit", row.fit_text]);
  if (typeof row.tps === "number") lines.push(["Decode ≤", `${num(row.tps, 1)} tok/s`]);
  const flags = [row.pareto ? "Pareto front" : null, row.rec ? "recommended" : null, row.pullable ? "click to select" : row.why].filter(Boolean);
  return [
    h("div", { className: "hfw-chart-tip-title" }, row.quant ?? "?"),
    h("div", { className: "hfw-chart-tip-file hfw-mono" }, row.filename ?? ""),
    ...lines.map(([k, v]) => h("div", {}, h("span", { className: "hfw-muted" }, `${k} `), v)),
    h("div", { className: "hfw-muted" }, flags.join(" · ")),
  ];
}

/** Dots of one fit group and one kind (published or estimated), each circle tagged with its row key. */
function dots(data, fitGroup, estimated) {
  const subset = data.filter((r) => group(r) === fitGroup && Boolean(r.loss_est) === estimated);
  return Plot.dot(subset, {
    x: "gb",
    y: "y",
    r: 5,
    // one class per mark (Plot accepts a single name): colour by fit, hollow when estimated
    className: `hfw-chart-dot-${fitGroup}${estimated ? "-est" : ""}`,
    render(index, scales, values, dimensions, context, next) {
      const g = next(index, scales, values, dimensions, context);
      g.querySelectorAll("circle").forEach((circle, i) => {
        const row = subset[index[i]];
        circle.dataset.key = String(row.key);
        circle.dataset.testid = "chart-point";
        circle.dataset.quant = row.quant ?? "";
        circle.dataset.fit = fitGroup;
        circle.dataset.pareto = String(Boolean(row.pareto));
        circle.dataset.estimated = String(Boolean(row.loss_est));
      });
      return g;
    },
  });
}

/**
 * Draw the chart of `rows` (already filtered like the table) into `container`.
 * `onSelect(row)` is called on a click on a pullable row's point.
 */
export function renderChart(container, rows, { selected, onSelect }) {
  // log y: the reference types (loss 0) sit on the floor
  // loss_est: no published figure, y is the tier's median (table.py _quality_fields)
  const data = chartRows(rows).map((r) => ({ ...r, gb: r.size / 1e9, y: Math.max(r.loss, Y_FLOOR), loss_est: typeof r.ppl !== "number" }));
  container.replaceChildren();
  container.hidden = data.length === 0;
  if (data.length === 0) return;
  const width = Math.max(360, Math.min(container.clientWidth || 720, 900));
  const front = data.filter((r) => r.pareto).sort((a, b) => a.gb - b.gb);
  const marks = [
    Plot.gridY({ className: "hfw-chart-grid" }),
    Plot.line(front, { x: "gb", y: "y", curve: "step-after", className: "hfw-chart-front" }),
  ];
  for (const g of ["none", "bad", "ok", "good"]) marks.push(dots(data, g, false), dots(data, g, true));
  marks.push(
    Plot.dot(data.filter((r) => r.rec), { x: "gb", y: "y", r: 9, className: "hfw-chart-rec" }),
    Plot.dot(data.filter((r) => selected && r.ref && r.ref.toLowerCase() === selected), { x: "gb", y: "y", r: 12, className: "hfw-chart-selected" }),
  );
  const svg = Plot.plot({
    width,
    height: 260,
    marginLeft: 56,
    style: { background: "transparent", color: "inherit", fontSize: "11px" },
    x: { label: "Size (GB) →", nice: true, grid: false },
    // reversed: better (lower loss) is up, so the Pareto front runs from bottom-left to top-right
    y: { type: "log", reverse: true, label: "↓ Perplexity increase (llama.cpp, Llama-3-8B reference; up is better)", tickFormat: (v) => (v <= Y_FLOOR ? "≤0.001" : String(+v.toPrecision(2))) },
    marks,
  });
  svg.classList.add("hfw-chart-svg");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Size against quality loss for ${data.length} files`);

  const tip = h("div", { className: "hfw-chart-tip", hidden: true, dataset: { testid: "chart-tip" }, attrs: { role: "tooltip" } });
  const byKey = new Map(data.map((r) => [String(r.key), r]));
  const pointOf = (event) => {
    const circle = event.target.closest ? event.target.closest("circle[data-key]") : null;
    return circle ? [circle, byKey.get(circle.dataset.key)] : [null, null];
  };
  svg.addEventListener("pointerover", (event) => {
    const [circle, row] = pointOf(event);
    if (!row) return;
    tip.replaceChildren(...tipContent(row));
    tip.dataset.key = String(row.key);
    const box = container.getBoundingClientRect();
    const at = circle.getBoundingClientRect();
    tip.style.left = `${Math.min(at.left - box.left + 12, box.width - 220)}px`;
    tip.style.top = `${at.top - box.top + 12}px`;
    tip.hidden = false;
  });
  svg.addEventListener("pointerout", (event) => {
    const [circle] = pointOf(event);
    if (circle) tip.hidden = true;
  });
  svg.addEventListener("click", (event) => {
    const [, row] = pointOf(event);
    if (row && row.pullable) onSelect(row);
  });
  for (const circle of svg.querySelectorAll("circle[data-key]")) {
    const row = byKey.get(circle.dataset.key);
    if (row && row.pullable) circle.classList.add("hfw-chart-clickable");
  }

  const present = [...new Set(data.map(group))];
  const legend = h(
    "div",
    { className: "hfw-chart-legend hfw-muted", dataset: { testid: "chart-legend" } },
    ...present.map((g) => h("span", { className: "hfw-chart-key" }, h("span", { className: `hfw-chart-swatch hfw-chart-swatch-${g}` }), GROUP_TEXT[g])),
    front.length ? h("span", { className: "hfw-chart-key" }, h("span", { className: "hfw-chart-line" }), "Pareto front") : null,
    data.some((r) => r.loss_est) ? h("span", { className: "hfw-chart-key" }, h("span", { className: "hfw-chart-swatch hfw-chart-hollow" }), "no published figure: tier median") : null,
    data.some((r) => r.rec) ? h("span", { className: "hfw-chart-key" }, h("span", { className: "hfw-chart-swatch hfw-chart-ring" }), "recommended") : null,
  );
  container.append(legend, svg, tip);
}
