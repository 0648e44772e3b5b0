// GGUFBrowser's quant table DOM: the sortable header row and one row per file group (badges, fit,
// Pull/Chat). Not an entry point: bundled into browser.js. Hub-provided strings go through h() (textContent).
import { button, formatBytes, h } from "./_shared.js";

const COLUMNS = [
  { key: "quant", label: "Quant", title: "Quantization (llama.cpp label)" },
  { key: "size", label: "Size", title: "Download size (1 GB = 10^9 bytes)", numeric: true },
  { key: "bpw", label: "Bits/weight", title: "Nominal bits per weight of the quant type's main tensor type", numeric: true },
  { key: "ebpw", label: "Eff. bits", title: "Effective bits per weight: file bytes × 8 / parameters (the Hub's count)", numeric: true },
  { key: "quality", label: "Quality", title: "Quality tier (sorts by rank: best first)" },
  { key: "ppl", label: "+PPL", title: "Perplexity increase llama.cpp publishes for this type on Llama-3-8B (a relative guide, not this model's value)", numeric: true },
  { key: "kld", label: "KLD", title: "Mean KL divergence to FP16 llama.cpp publishes for this type on Llama-3-8B", numeric: true },
  { key: "mem", label: "Memory", title: "Estimated memory at the chosen context length", numeric: true, fit: true },
  { key: "fit", label: "Fit", title: "Will it run here? (estimated)", fit: true },
  { key: "tps", label: "tok/s ≤", title: "Decode-speed ceiling on this machine: memory bandwidth / bytes read per token", numeric: true, speed: true },
  { key: "action", label: "", title: "", sortable: false },
  { key: "filename", label: "File", title: "File name (first shard for split files)" },
];

const FIT_CLASS = { full_gpu_offload: "good", partial_gpu_offload: "ok", fits_in_ram: "ok", too_large: "bad" };

function shownColumns(showFit, showSpeed) {
  return COLUMNS.filter((c) => (showFit || !c.fit) && (showSpeed || !c.speed));
}

/** The header row: one sort button per column (click again to reverse); fit columns only if showFit. */
export function headRow(model, showFit, showSpeed = false) {
  const sortBy = model.get("sort_by");
  const desc = model.get("sort_desc");
  const cells = shownColumns(showFit, showSpeed).map((col) => {
    if (col.sortable === false) return h("th", { className: "hfw-th-action" }, col.label);
    const active = sortBy === col.key;
    const arrow = active ? (desc ? " ▼" : " ▲") : "";
    const th = h(
      "th",
      { className: col.numeric ? "hfw-num" : "", "aria-sort": active ? (desc ? "descending" : "ascending") : "none" },
      h(
        "button",
        {
          type: "button",
          className: "hfw-sort",
          title: `${col.title} — click to sort`,
          dataset: { testid: `sort-${col.key}`, sort: col.key },
          onclick: () => {
            if (model.get("sort_by") === col.key) model.set("sort_desc", !model.get("sort_desc"));
            else {
              model.set("sort_by", col.key);
              model.set("sort_desc", false);
            }
            model.save_changes();
          },
        },
        col.label,
        arrow,
      ),
    );
    return th;
  });
  return h("tr", {}, ...cells);
}

function fixed(value, digits) {
  return typeof value === "number" ? value.toFixed(digits) : "–";
}

function actionCell(model, row) {
  const td = h("td", { className: "hfw-action" });
  if (!row.pullable || !model.get("has_client")) return td;
  const pullState = (model.get("pulls") || {})[row.ref];
  const stop = (event) => event.stopPropagation();
  if (row.local) {
    td.append(button("Chat", (e) => (stop(e), model.send({ type: "chat", ref: row.ref })), { className: "hfw-primary", title: `Chat with ${row.ref}`, dataset: { testid: "chat-button" } }));
  } else if (pullState === "running" || pullState === "starting") {
    td.append(button("Pulling…", null, { disabled: true, dataset: { testid: "pulling" } }));
  } else {
    td.append(button("Pull", (e) => (stop(e), model.send({ type: "pull", ref: row.ref })), { title: `Pull ${row.ref} into Ollama`, dataset: { testid: "pull-button" } }));
  }
  return td;
}

function quantCell(row) {
  const badges = [];
  if (row.rec) badges.push(h("span", { className: "hfw-badge hfw-badge-rec", title: "Best quality that fits the size limit (auto_select)", dataset: { testid: "badge-recommended" } }, "recommended"));
  if (row.pareto) badges.push(h("span", { className: "hfw-badge hfw-badge-muted", title: "On the Pareto front: no other file is both smaller and less lossy (published +PPL, else the tier)", dataset: { testid: "badge-pareto" } }, "front"));
  if (row.local) badges.push(h("span", { className: "hfw-badge hfw-badge-local", title: "Already in your Ollama", dataset: { testid: "badge-local" } }, "in Ollama"));
  if (row.kind && row.kind !== "model") badges.push(h("span", { className: "hfw-badge hfw-badge-muted", title: row.why || "", dataset: { testid: "badge-kind" } }, row.kind));
  else if (row.shards > 1) badges.push(h("span", { className: "hfw-badge hfw-badge-muted", title: row.why || "", dataset: { testid: "badge-split" } }, `split ×${row.shards}`));
  return h("td", { className: "hfw-quant" }, h("span", { className: "hfw-quant-label" }, row.quant ?? "?"), ...badges);
}

/** One table row; a pullable row is selected (model "selected") by click, Enter or Space. */
export function bodyRow(model, row, showFit, selected, showSpeed = false) {
  const isSelected = row.pullable && row.ref && row.ref.toLowerCase() === selected;
  const tr = h(
    "tr",
    {
      className: [row.pullable ? "hfw-selectable" : "hfw-disabled", isSelected ? "hfw-selected" : ""].filter(Boolean).join(" "),
      title: row.pullable ? row.ref : row.why,
      tabIndex: row.pullable ? 0 : -1,
      dataset: { testid: "row", ref: row.ref ?? "", quant: row.quant ?? "", key: String(row.key) },
      "aria-selected": String(Boolean(isSelected)),
      "aria-disabled": row.pullable ? null : "true",
    },
    quantCell(row),
    h("td", { className: "hfw-num", dataset: { col: "size" } }, formatBytes(row.size)),
    h("td", { className: "hfw-num", dataset: { col: "bpw" } }, typeof row.bpw === "number" ? row.bpw.toFixed(2) : "–"),
    h("td", { className: "hfw-num", dataset: { col: "ebpw" } }, fixed(row.ebpw, 2)),
    h("td", { dataset: { col: "quality" } }, row.quality ?? "–"),
    h("td", { className: "hfw-num", dataset: { col: "ppl" } }, typeof row.ppl === "number" ? `+${row.ppl.toFixed(4)}` : "–"),
    h("td", { className: "hfw-num", dataset: { col: "kld" } }, fixed(row.kld, 4)),
    showFit ? h("td", { className: "hfw-num", dataset: { col: "mem" } }, formatBytes(row.mem)) : null,
    showFit ? h("td", { dataset: { col: "fit" } }, row.fit ? h("span", { className: `hfw-fit hfw-fit-${FIT_CLASS[row.fit] ?? "unknown"}`, dataset: { fit: row.fit } }, row.fit_text ?? row.fit) : "–") : null,
    showSpeed ? h("td", { className: "hfw-num", dataset: { col: "tps" } }, fixed(row.tps, 1)) : null,
    actionCell(model, row),
    h("td", { className: "hfw-file hfw-mono", title: row.filename ?? "" }, row.filename ?? ""),
  );
  if (row.pullable) {
    const select = () => {
      model.set("selected", row.ref);
      model.save_changes();
    };
    tr.addEventListener("click", select);
    tr.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        select();
      }
    });
  }
  return tr;
}
