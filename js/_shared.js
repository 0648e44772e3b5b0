// Shared helpers for the hfollama widgets (not an entry point: imported and bundled by each widget).
// Rule: untrusted text (model output, Hub names, error messages) only ever goes through textContent.
import "./_shared.css";

/**
 * Build a DOM element. Text children become text nodes (never parsed as HTML).
 *   h("div", { className: "row", dataset: { testid: "x" }, onclick: fn }, "text", childNode)
 * Props: className, dataset, style (object), attrs (object of attributes), on<event> handlers,
 * and any other DOM property (title, disabled, value, type, ...).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null) continue;
    if (key === "className") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key === "attrs") {
      for (const [name, v] of Object.entries(value)) if (v !== undefined && v !== null && v !== false) el.setAttribute(name, String(v));
    } else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key.startsWith("aria-") || key === "role" || key === "for") el.setAttribute(key, String(value));
    else el[key] = value;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Bytes as the Hub and Ollama show them (1000-based): 807694464 -> "807.7 MB". */
export function formatBytes(n) {
  if (n === undefined || n === null || !Number.isFinite(Number(n))) return "–";
  n = Number(n);
  const units = ["B", "kB", "MB", "GB", "TB", "PB"];
  let i = 0;
  while (Math.abs(n) >= 1000 && i < units.length - 1) {
    n /= 1000;
    i += 1;
  }
  if (i === 0) return `${Math.round(n)} B`;
  return `${n.toFixed(1)} ${units[i]}`;
}

/** Seconds as a short duration: 5 -> "5s", 125 -> "2m 05s", 3725 -> "1h 02m". */
export function formatDuration(s) {
  if (s === undefined || s === null || !Number.isFinite(Number(s)) || s < 0) return "–";
  s = Math.round(Number(s));
  if (s < 60) return `${s}s`;
  const pad = (x) => String(x).padStart(2, "0");
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
}

/**
 * Show an error ({type, message, fix} | null) inside container: the message and, apart, the fix.
 * Clears the container when error is empty. Returns the box (or null).
 */
export function renderError(container, error) {
  container.replaceChildren();
  if (!error || (!error.message && !error.type)) {
    container.hidden = true;
    return null;
  }
  container.hidden = false;
  const box = h(
    "div",
    { className: "hfw-error", role: "alert", dataset: { testid: "error" } },
    h("div", { className: "hfw-error-message", dataset: { testid: "error-message" } }, error.message || error.type),
    error.fix ? h("div", { className: "hfw-error-fix", dataset: { testid: "error-fix" } }, h("strong", {}, "Fix: "), error.fix) : null,
  );
  if (error.type) box.dataset.errorType = error.type;
  container.appendChild(box);
  return box;
}

/** A button: button("Cancel", () => ..., { className: "hfw-secondary", dataset: { testid: "cancel" } }). */
export function button(label, onClick, props = {}) {
  const { className, ...rest } = props ?? {};
  const el = h("button", { type: "button", className: ["hfw-button", className].filter(Boolean).join(" "), ...rest }, label);
  if (onClick) el.addEventListener("click", (event) => onClick(event));
  return el;
}

/** "Waiting for Ollama to load the model… 3 s" (seconds since `sinceMs`, a Date.now() value). */
export function waitingText(what, sinceMs) {
  const seconds = Math.max(0, Math.floor((Date.now() - sinceMs) / 1000));
  return { seconds, text: `Waiting for Ollama to ${what}… ${seconds} s` };
}
