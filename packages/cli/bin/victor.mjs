#!/usr/bin/env node
// The `victor` command: runs the bundled CLI, building it first if this checkout has never been built.
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const bundle = new URL("../dist/victor.mjs", import.meta.url)
if (!existsSync(fileURLToPath(bundle))) {
  execFileSync(process.execPath, [fileURLToPath(new URL("../scripts/build.mjs", import.meta.url))], { stdio: "inherit" })
}
await import(bundle.href)
