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
