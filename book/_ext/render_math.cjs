// Render TeX to MathJax CommonHTML at build time, so pages need no maths JavaScript.
// Reads JSON on stdin: {mathjax: <MathJax component folder>, macros: {...}, fontURL: <url>,
// items: [{tex, display}, ...]} (one page's maths); writes JSON on stdout: {html: [...],
// css: <stylesheet for every character used>, failures: [index, ...]}.
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
  const html = request.items.map((item, i) => {
    const rendered = adaptor.outerHTML(MathJax.tex2chtml(item.tex, { display: item.display }));
    if (rendered.includes("data-mjx-error") || rendered.includes("merror")) {
      failures.push(i);
    }
    return rendered;
  });
  const css = adaptor.textContent(MathJax.chtmlStylesheet());
  process.stdout.write(JSON.stringify({ html, css, failures }));
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
