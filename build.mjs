// Bundle each widget's ES module (and its CSS) from js/ into hfollama_widgets/static/.
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
  loader: { ".css": "text" },
  logLevel: "info",
};

if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context({ ...options, sourcemap: "inline" });
  await ctx.watch();
} else {
  await esbuild.build(options);
}
