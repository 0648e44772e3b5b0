// Bundle each widget's ES module from js/ into hfollama_widgets/static/: js/chat.js -> static/chat.js,
// and the CSS it imports -> static/chat.css. Files starting with "_" are shared modules, not entry points.
// No CDN at run time: everything a widget imports is bundled here.
import * as esbuild from "esbuild";
import { readdirSync } from "node:fs";

const widgets = readdirSync("js").filter((f) => /\.js$/.test(f) && !f.startsWith("_"));
const options = {
  entryPoints: widgets.map((f) => `js/${f}`),
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: !process.argv.includes("--watch"),
  outdir: "hfollama_widgets/static",
  // bundled UMD code otherwise collides with RequireJS pages (anywidget#369)
  define: { "define.amd": "false" },
  logLevel: "info",
};

if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context({ ...options, sourcemap: "inline" });
  await ctx.watch();
} else {
  await esbuild.build(options);
}
