// Builds the CLI bundle before the CLI tests run, so they exercise the current sources.
import { execFileSync } from "node:child_process"
import { join } from "node:path"

export default function setup() {
  execFileSync(process.execPath, [join(import.meta.dirname, "..", "..", "scripts", "build.mjs")], { stdio: "inherit" })
}
