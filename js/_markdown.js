// Markdown for model output: marked (bundled) -> DOMPurify (bundled) -> DOM, plus a copy button per code block.
//
// Model output is untrusted. The ONLY HTML sink in the project is here, and it always goes through
// DOMPurify.sanitize(marked.parse(text)) — the *output* of marked is sanitised, never its input.
// On top of DOMPurify's defaults:
//   - only the HTML profile (no SVG / MathML),
//   - no images, media, forms or inline styles (a model can be prompt-injected into exfiltrating
//     data through an image URL; markdown images become plain links instead),
//   - every link opens in a new tab with rel="noopener noreferrer"; only http(s)/mailto links survive,
//   - id/name attributes are prefixed (no DOM clobbering of the page's globals).
import createDOMPurify from "dompurify";
import { Marked } from "marked";

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    // ![alt](url) -> a link to the image, never an <img> that loads on its own.
    image({ href, text }) {
      const label = text || href || "image";
      return `<a href="${escapeAttr(href || "")}">${escapeText(`[image: ${label}]`)}</a>`;
    },
  },
});

const SAFE_URL = /^(?:https?:|mailto:|#)/i;

let purifier = null;

/** The DOMPurify instance for this page, configured once (hooks are per instance). */
function getPurifier() {
  if (purifier) return purifier;
  purifier = createDOMPurify(window);
  purifier.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A") {
      const href = node.getAttribute("href") || "";
      if (href && !SAFE_URL.test(href.trim())) node.removeAttribute("href");
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });
  return purifier;
}

const PURIFY_CONFIG = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: [
    "img", "picture", "source", "video", "audio", "track", "style", "form", "input", "button",
    "textarea", "select", "option", "iframe", "frame", "object", "embed", "link", "meta", "base",
  ],
  FORBID_ATTR: ["style", "srcset", "action", "formaction"],
  ALLOW_DATA_ATTR: false,
  // id/name values get a "user-content-" prefix: model output cannot clobber window globals
  // (an element with id="x" otherwise becomes window.x in the notebook page).
  SANITIZE_NAMED_PROPS: true,
};

function escapeText(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttr(s) {
  return escapeText(s).replace(/"/g, "&quot;");
}

/** Markdown text -> sanitised HTML string (exported for tests and for callers that diff). */
export function markdownToSafeHtml(text) {
  const html = marked.parse(String(text ?? ""));
  return getPurifier().sanitize(html, PURIFY_CONFIG);
}

/** Copy `text` to the clipboard: navigator.clipboard when allowed, else a hidden textarea + execCommand. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // permission denied or not focused: fall back below
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/** Wrap each <pre> of `root` with a toolbar holding a Copy button (built with DOM APIs, not HTML). */
function addCopyButtons(root) {
  for (const pre of root.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    const wrap = document.createElement("div");
    wrap.className = "hfw-chat-code";
    const bar = document.createElement("div");
    bar.className = "hfw-chat-code-bar";
    const lang = (code?.className.match(/language-([\w+#.-]+)/) || [])[1];
    const label = document.createElement("span");
    label.className = "hfw-chat-code-lang";
    label.textContent = lang || "";
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "hfw-chat-copy";
    btn.dataset.testid = "copy-code";
    btn.title = "Copy code";
    btn.textContent = "Copy";
    btn.addEventListener("click", async () => {
      const ok = await copyText((code || pre).textContent || "");
      btn.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(() => {
        btn.textContent = "Copy";
      }, 1500);
    });
    bar.append(label, btn);
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
  }
}

/** Render markdown `text` into `el` (replacing its content), sanitised, with copy buttons on code blocks. */
export function renderMarkdown(el, text) {
  el.innerHTML = markdownToSafeHtml(text);
  addCopyButtons(el);
}

/** True for a line that opens or closes a fenced code block (CommonMark: up to 3 spaces, then 3+ ` or ~). */
const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/**
 * Markdown rendered as it streams in: only the block being written is re-rendered.
 *
 * The text is cut into blocks at a blank line followed by an unindented line, outside fenced code
 * (such a line always starts a new top-level block, so each block renders alone as it would in the
 * whole text, bar reference-style link definitions and loose-list spacing). A finished block is rendered
 * once and kept; the last one (the tail) is re-rendered as text comes. When re-rendering the tail
 * gets slow (one huge paragraph or code block), it is re-rendered at most every 8x its last cost and
 * the text in between is appended as plain text (textContent, never HTML), so text appears at once and
 * the page never falls behind the stream. Every block goes through markdownToSafeHtml (DOMPurify).
 */
export class MarkdownStream {
  constructor(el) {
    this.el = el;
    this.reset();
  }

  reset() {
    this.el.replaceChildren();
    this.text = "";
    this.done = 0; // text[0:done] is in finished blocks
    this.scan = 0; // complete lines before this index have been scanned
    this.fence = null; // {char, len} while inside fenced code
    this.blank = false; // the last scanned line was blank (outside fences)
    this.tail = null; // element of the block being written
    this.tailShown = 0; // text[done:done+tailShown] is rendered as markdown in the tail
    this.raw = null; // text node holding plain text appended since
    this.cost = 0; // ms the last tail render took
    this.renderedAt = 0;
  }

  /** Show `text` (usually the previous text plus more); `final` renders the tail fully now. */
  update(text, final = false) {
    if (text.length < this.text.length || !text.startsWith(this.text)) this.reset();
    this.text = text;
    for (let nl = text.indexOf("\n", this.scan); nl >= 0; nl = text.indexOf("\n", this.scan)) {
      this.line(text.slice(this.scan, nl), this.scan);
      this.scan = nl + 1;
    }
    this.renderTail(final);
  }

  line(line, start) {
    const fence = FENCE.exec(line);
    if (this.fence) {
      if (fence && fence[1][0] === this.fence.char && fence[1].length >= this.fence.len && !fence[2].trim()) this.fence = null;
      return;
    }
    const blank = !line.trim();
    if (!blank && this.blank && /^\S/.test(line) && start > this.done) this.commit(start);
    this.blank = blank;
    if (fence && !(fence[1][0] === "`" && fence[2].includes("`"))) this.fence = { char: fence[1][0], len: fence[1].length };
  }

  /** text[done:end] is a finished block: render it once, before the tail. */
  commit(end) {
    const block = document.createElement("div");
    block.className = "hfw-md-block";
    renderMarkdown(block, this.text.slice(this.done, end));
    this.el.insertBefore(block, this.tail);
    this.done = end;
    this.tailShown = -1; // the tail's text changed: render it again
  }

  renderTail(final) {
    const text = this.text.slice(this.done);
    if (!this.tail) {
      this.tail = document.createElement("div");
      this.tail.className = "hfw-md-block hfw-md-tail";
      this.el.appendChild(this.tail);
    }
    if (text.length === this.tailShown && !this.raw) return;
    const now = performance.now();
    const due = final || this.tailShown < 0 || now - this.renderedAt >= this.cost * 8;
    if (!due && this.tailShown >= 0 && text.length > this.tailShown) {
      this.appendRaw(text.slice(this.tailShown));
      return;
    }
    renderMarkdown(this.tail, text);
    this.raw = null;
    this.tailShown = text.length;
    this.renderedAt = performance.now();
    this.cost = this.renderedAt - now;
  }

  /** Plain text (a text node, never HTML) after the last rendered element, until the next render. */
  appendRaw(text) {
    if (!this.raw) {
      let host = this.tail;
      while (host.lastElementChild && !["PRE", "DIV", "BUTTON"].includes(host.lastElementChild.tagName)) host = host.lastElementChild;
      if (host.lastElementChild && host.lastElementChild.tagName === "DIV") host = host.lastElementChild.querySelector("code") || host;
      this.raw = document.createTextNode("");
      host.appendChild(this.raw);
      this.rawFrom = this.tailShown;
    }
    this.raw.data = this.text.slice(this.done + this.rawFrom);
  }
}
