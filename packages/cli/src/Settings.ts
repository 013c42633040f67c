/**
 * Where the CLI keeps things by default. This module is Node-specific (home directory, environment) and so lives in
 * the CLI, the edge of the system.
 */
import * as os from "node:os"
import * as nodePath from "node:path"

/** The trace directory: `--trace-dir`, else `VICTOR_TRACE_DIR`, else `~/.victor/workflow_traces`. */
export const traceDirectory = (flag: string | undefined): string => {
  const chosen = flag ?? process.env["VICTOR_TRACE_DIR"]
  if (chosen !== undefined && chosen.length > 0) return nodePath.resolve(chosen)
  return nodePath.join(os.homedir(), ".victor", "workflow_traces")
}
