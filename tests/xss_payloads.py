"""Untrusted-text payloads and the in-page DOM check shared by the JupyterLab / Notebook 7
browser tests (tests/browser/test_xss.py, test_chart.py) and the marimo tests
(tests/marimo/). Each payload would set ``window.__xss`` (or open a dialog) if it ever ran."""

from __future__ import annotations

__all__ = ["CHART_DANGER_JS", "CODE", "DANGER_JS", "PAYLOADS", "PROSE"]

PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "<script>window.__xss=1</script>",
    "[x](javascript:window.__xss=1)",
    '<svg onload="window.__xss=1"><circle r="1"/></svg>',
    '<a href="javascript:window.__xss=1">click me</a>',
    '<iframe src="javascript:window.__xss=1"></iframe>',
    '<details open ontoggle="window.__xss=1">x</details>',
    '![pic](x" onerror="window.__xss=1)',
    "[y](JaVaScRiPt:window.__xss=1)",
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=1">',
    "<a href='data:text/html,<script>window.__xss=1</script>'>data</a>",
    "<form><button formaction=javascript:window.__xss=1>go</button></form>",
    '<div style="background:url(javascript:window.__xss=1)">styled</div>',
    "<body onload=alert(1)>",
    "<img src=x onerror=alert(1)>",
]

PROSE = "Here you go:\n\n" + "\n\n".join(PAYLOADS) + "\n\nInline: " + " ".join(PAYLOADS[:3])
CODE = "```html\n" + "\n".join(PAYLOADS) + "\n```\n\nand `" + PAYLOADS[0] + "` inline"
# DOM clobbering: an element with id="x" left in the page becomes window.x


# DOM checks run in the page: anything executable or loading left in the widget's output.
DANGER_JS = """
(root) => {
  const found = [];
  for (const el of root.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    const bad = ['script', 'img', 'iframe', 'svg', 'math', 'object', 'embed', 'form', 'style'];
    if (bad.includes(tag))
      found.push('tag:' + tag);
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/\\s+/g, '').toLowerCase();
      if (name.startsWith('on')) found.push('attr:' + tag + '.' + name);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(name)
          && (value.startsWith('javascript:') || value.startsWith('data:')))
        found.push('url:' + tag + '.' + name);
      if (name === 'style' && root.contains(el) && el.closest('[data-testid="content"]'))
        found.push('style:' + tag);
    }
  }
  return found;
}
"""

# The GGUFBrowser's chart is an Observable Plot <svg> with Plot's own class-scoped <style> (no Hub
# text in either): the one place those two tags are allowed (tests/browser/test_chart.py).
CHART_DANGER_JS = DANGER_JS.replace(
    "if (bad.includes(tag))",
    "if (bad.includes(tag)\n        && !(['svg', 'style'].includes(tag)"
    " && el.closest('.hfw-chart-svg')))",
)
