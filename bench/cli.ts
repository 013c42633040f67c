/**
 * Start-up of the `victor` command as it ships (the bundle `pnpm install` builds), against `node -e 0` measured in the
 * same run: every round runs each command once, in an order that rotates from round to round, so a noisy moment
 * weighs on all of them alike. Prints the medians, the ratios to node and PASS/FAIL against the targets of issue 18.
 *
 * Usage: pnpm bench:cli [--runs N] (default 15). `NODE_EXTRA_CA_CERTS` is unset for the commands timed: Node reads
 * that file at start-up, which would be charged to every command including the baseline.
 */
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const argv = process.argv.slice(2)
const runsAt = argv.indexOf("--runs")
const runs = runsAt === -1 ? 15 : Number(argv[runsAt + 1])
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs takes a positive whole number")

const root = process.cwd()
const victorBin = join(root, "packages", "cli", "bin", "victor.cjs")
if (!existsSync(victorBin)) throw new Error(`run from the repository root (no ${victorBin}): pnpm bench:cli`)
const example = join(root, "examples", "workflows", "code_review.yaml")

const home = mkdtempSync(join(tmpdir(), "victor-bench-cli-"))
const oneNode = join(home, "one_node.yaml")
writeFileSync(
  oneNode,
  [
    "workflows:",
    "  one_node:",
    "    nodes:",
    "      - id: add",
    "        type: transform",
    "        transform: total = 1 + 2"
  ].join("\n") + "\n"
)
const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, VICTOR_TRACE_DIR: join(home, "traces"), NO_COLOR: "1" }
delete env.NODE_EXTRA_CA_CERTS

interface Command {
  readonly name: string
  readonly args: ReadonlyArray<string>
  /** The most this command may take, as a multiple of `node -e 0`. */
  readonly target?: number
}

const commands: ReadonlyArray<Command> = [
  { name: "node -e 0", args: ["-e", "0"] },
  { name: "victor --version", args: [victorBin, "--version"], target: 3 },
  { name: "victor --help", args: [victorBin, "--help"], target: 5 },
  { name: "victor workflow run (1 node)", args: [victorBin, "workflow", "run", oneNode], target: 6 },
  { name: "victor workflow trace code_review.yaml", args: [victorBin, "workflow", "trace", example], target: 8 }
]

const timeOnce = (command: Command): number => {
  const start = performance.now()
  const result = spawnSync(process.execPath, command.args, { env, cwd: root, stdio: ["ignore", "ignore", "pipe"] })
  const elapsed = performance.now() - start
  if (result.status !== 0) {
    throw new Error(`${command.name} exited ${result.status}: ${result.stderr.toString().trim().split("\n")[0]}`)
  }
  return elapsed
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

try {
  // One untimed round, so that the file system cache holds the bundle and node for every command.
  for (const command of commands) timeOnce(command)
  const times = commands.map((): Array<number> => [])
  for (let round = 0; round < runs; round++) {
    for (let k = 0; k < commands.length; k++) {
      const i = (round + k) % commands.length
      times[i]!.push(timeOnce(commands[i]!))
    }
    process.stderr.write(`\rround ${round + 1}/${runs}`)
  }
  process.stderr.write("\n")
  const medians = times.map(median)
  const floor = medians[0]!
  const rows = commands.map((command, i) => {
    const ratio = medians[i]! / floor
    const verdict = command.target === undefined ? "baseline" : ratio <= command.target ? "PASS" : "FAIL"
    return [
      command.name,
      `${medians[i]!.toFixed(0)} ms`,
      `${Math.min(...times[i]!).toFixed(0)}–${Math.max(...times[i]!).toFixed(0)} ms`,
      `${ratio.toFixed(2)}×`,
      command.target === undefined ? "" : `≤ ${command.target}×`,
      verdict
    ]
  })
  const header = ["command", "median", "range", "vs node", "target", ""]
  const widths = header.map((title, c) => Math.max(title.length, ...rows.map((row) => row[c]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()
  console.log(`victor start-up, ${runs} rounds, Node ${process.version}`)
  console.log(line(header))
  for (const row of rows) console.log(line(row))
  if (rows.some((row) => row[5] === "FAIL")) process.exitCode = 1
} finally {
  rmSync(home, { recursive: true, force: true })
}
