// Runs a benchmark as `victor` ships: bundled by esbuild (as packages/cli/scripts/build.mjs bundles the CLI), not
// through tsx, whose transform wraps every function expression in a `__name(...)` call that costs a property
// definition each time a closure is made. Usage: node bench/bundled.mjs <bench file> [its options].
import { build } from "esbuild"
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

const [file, ...args] = process.argv.slice(2)
if (file === undefined) {
  console.error("usage: node bench/bundled.mjs <bench file> [options]")
  process.exit(2)
}
const dir = mkdtempSync(join(tmpdir(), "victor-bench-"))
try {
  const outfile = join(dir, "bench.mjs")
  await build({
    entryPoints: [resolve(file)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning",
    // As in the CLI bundle: bundled CommonJS dependencies call require() for Node built-ins.
    banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" }
  })
  const result = spawnSync(process.execPath, [...process.execArgv, outfile, ...args], { stdio: "inherit" })
  process.exitCode = result.status ?? 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}
