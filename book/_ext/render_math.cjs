// Render TeX to MathJax CommonHTML at build time, so pages need no maths JavaScript.
// Reads JSON on stdin: {mathjax: <MathJax component folder>, macros: {...}, fontURL: <url>,
// pages: [[{tex, display}, ...], ...]}; writes JSON on stdout: {pages: [[html, ...], ...],
// css: <stylesheet for every character used>}.
"use strict";
const path = require("path");

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

async function main() {
  const request = JSON.parse(await readStdin());
  const loader = require(path.join(request.mathjax, "node-main.js"));
  const MathJax = await loader.init({
    loader: {
      paths: { mathjax: request.mathjax },
      load: ["input/tex-full", "output/chtml", "adaptors/liteDOM", "a11y/assistive-mml"],
    },
    tex: { macros: request.macros || {} },
    chtml: { fontURL: request.fontURL, adaptiveCSS: true },
    startup: { typeset: false },
  });
  const adaptor = MathJax.startup.adaptor;
  const failures = [];
  const pages = request.pages.map((items, p) =>
    items.map((item, i) => {
      const node = MathJax.tex2chtml(item.tex, { display: item.display });
      const html = adaptor.outerHTML(node);
      if (html.includes("data-mjx-error") || html.includes("merror")) {
        failures.push({ page: p, index: i, tex: item.tex });
      }
      return html;
    }),
  );
  const css = adaptor.textContent(MathJax.chtmlStylesheet());
  process.stdout.write(JSON.stringify({ pages, css, failures }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
