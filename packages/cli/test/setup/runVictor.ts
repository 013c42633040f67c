// Runs the real `victor` binary in a subprocess with a private HOME and trace directory.
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const repoRoot = join(import.meta.dirname, "..", "..", "..", "..")
export const victorBin = join(repoRoot, "packages", "cli", "bin", "victor.cjs")
export const example = (name: string) => join(repoRoot, "examples", "workflows", name)

export interface VictorRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** A fresh sandbox: a temp HOME and the trace directory victor should use by default inside it. */
export const sandbox = () => {
  const home = mkdtempSync(join(tmpdir(), "victor-cli-"))
  return { home, traceDir: join(home, ".victor", "workflow_traces") }
}

interface RunOptions {
  readonly home: string
  readonly cwd?: string
  readonly env?: Record<string, string>
}

// The test's environment without VICTOR_* settings, with the sandbox's HOME and no colours.
const environment = (options: RunOptions): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("VICTOR_")) env[key] = value
  }
  return { ...env, HOME: options.home, NO_COLOR: "1", ...options.env }
}

export const runVictor = (args: ReadonlyArray<string>, options: RunOptions): VictorRun => {
  const result = spawnSync(process.execPath, [victorBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: environment(options),
    encoding: "utf8",
    timeout: 60_000
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** `runVictor` without blocking the test, for several `victor` processes running at once. */
export const runVictorAsync = (args: ReadonlyArray<string>, options: RunOptions): Promise<VictorRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [victorBin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: environment(options),
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 120_000
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** Removes ANSI colour codes (help is plain when piped; a test on a pseudo-terminal may still get bold). */
export const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "")

/** Files in a directory, or none when it does not exist. */
export const listFiles = (dir: string): Array<string> => {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** The trace files a filesystem store holds: its `blobs/` directory and hidden indexes are not traces. */
export const storedTraces = (dir: string): Array<string> => listFiles(dir).filter((name) => name.endsWith(".json") && !name.startsWith("."))

export const modeOf = (path: string) => statSync(path).mode & 0o777

/**
 * Writes `slow.yaml` into `dir`: a quick shell node, a slow one (`sleep <seconds>`), then a transform, so that what
 * happens while a node runs (events, cancellation) can be observed. Returns the file's path.
 */
export const slowWorkflow = (dir: string, seconds: number): string => {
  const file = join(dir, "slow.yaml")
  writeFileSync(file, [
    "workflows:",
    "  slow:",
    "    nodes:",
    "      - id: quick",
    "        type: compute",
    "        tools: [shell]",
    "        inputs: { command: \"echo fast\" }",
    "      - id: slow",
    "        type: compute",
    "        tools: [shell]",
    `        inputs: { command: "sleep ${seconds}" }`,
    "      - id: after",
    "        type: transform",
    "        transform: x = 1"
  ].join("\n"))
  return file
}

/** A `victor workflow trace` of a {@link slowWorkflow} running in the background. */
export interface SlowTrace {
  readonly child: ChildProcess
  /** Settles when the event stream shows node `slow` starting its tool. */
  readonly slowToolStarted: Promise<void>
  /** Settles when the process has ended, with its exit and what it printed. */
  readonly ended: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>
}

/** Starts `victor workflow trace FILE --events ndjson ARGS...` (a {@link slowWorkflow}) in the sandbox's HOME. */
export const traceInBackground = (
  file: string,
  options: { readonly home: string; readonly env?: Record<string, string> },
  ...args: ReadonlyArray<string>
): SlowTrace => {
  const child = spawn(process.execPath, [victorBin, "workflow", "trace", file, "--events", "ndjson", ...args], {
    cwd: repoRoot,
    env: { ...process.env, HOME: options.home, NO_COLOR: "1", ...options.env }
  })
  let stdout = ""
  let stderr = ""
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk))
  const slowToolStarted = new Promise<void>((resolve) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
      if (/"event_type":"tool_call_started"[^\n]*"node_id":"slow"/.test(stdout)) resolve()
    })
  })
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }))
  )
  return { child, slowToolStarted, ended }
}

/** Writes `<name>.yaml` into `dir`: one workflow `name` of one shell node (`step`) running `command`. */
export const quickWorkflow = (dir: string, name: string, command: string): string => {
  const file = join(dir, `${name}.yaml`)
  writeFileSync(file, [
    "workflows:",
    `  ${name}:`,
    "    nodes:",
    "      - id: step",
    "        type: compute",
    "        tools: [shell]",
    `        inputs: { command: ${JSON.stringify(command)} }`
  ].join("\n"))
  return file
}
