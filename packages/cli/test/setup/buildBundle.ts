// Builds the CLI bundle before the CLI tests run when a source is newer than it, so they exercise the current sources.
// The build moves files in one by one, so a `victor` that another test run started keeps working meanwhile.
import { execFileSync } from "node:child_process"
import { join } from "node:path"

export default function setup() {
  execFileSync(process.execPath, [join(import.meta.dirname, "..", "..", "scripts", "build.mjs"), "--if-stale"], { stdio: "inherit" })
}
