/**
 * `pnpm bench`: records the same workload (nodes with one tool call each) with plain objects (the floor), Victor's
 * `WorkflowTracer`, the OpenTelemetry JS SDK and `Effect.withSpan`, each scenario in a fresh `node --expose-gc`
 * process, and prints the table, the issue's targets with PASS or FAIL, and the machine.
 *
 * Options (or environment variables): --nodes N (BENCH_NODES, default 100000), --reps N (BENCH_REPS: timed runs,
 * default 7, and 3 for the slow rivals unless given), --warmup N (BENCH_WARMUP, default 2), --only a,b (BENCH_ONLY:
 * scenario names; the floor always runs), --cold (BENCH_COLD=1: start every timed run after forced GCs instead of
 * timing runs back to back; see measure.ts).
 * With --check, exits with 1 when a target fails (for CI).
 */
import { build } from "esbuild"
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { availableParallelism, cpus, tmpdir } from "node:os"
import { join } from "node:path"
import { type Measurement, table, type TargetResult, targets } from "./report.ts"
import * as Scenarios from "./scenarios.ts"

const args = process.argv.slice(2).filter((arg) => arg !== "--")

const option = (name: string, env: string): string | undefined => {
  const index = args.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`))
  if (index === -1) return process.env[env]
  const arg = args[index]!
  return arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : args[index + 1]
}

const positiveInteger = (name: string, env: string, fallback: number): number => {
  const raw = option(name, env)
  if (raw === undefined) return fallback
  const value = Number(raw.replaceAll("_", ""))
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`--${name} must be a positive integer, got ${JSON.stringify(raw)}\n`)
    process.exit(2)
  }
  return value
}

const nodes = positiveInteger("nodes", "BENCH_NODES", 100_000)
const repetitions = positiveInteger("reps", "BENCH_REPS", 7)
const warmups = positiveInteger("warmup", "BENCH_WARMUP", 2)
const cold = args.includes("--cold") || process.env["BENCH_COLD"] === "1"
const only = option("only", "BENCH_ONLY")?.split(",").map((name) => name.trim())
const selected = Scenarios.all.filter((s) => s === Scenarios.floor || only === undefined || only.includes(s.name))

// The slow rivals get fewer runs unless the caller asked for a number.
const repetitionsOf = (scenario: Scenarios.Scenario): number =>
  scenario.slow === true && option("reps", "BENCH_REPS") === undefined ? Math.min(repetitions, 3) : repetitions
const heapRunsOf = (scenario: Scenarios.Scenario): number => (scenario.slow === true ? 1 : 2)

// measure.ts runs bundled by esbuild, as `victor` ships, not through tsx: tsx's transform wraps every function
// expression in a `__name(...)` call, which costs a property definition each time a closure is made and inflated the
// recorder's figures several times over.
const bundleDir = mkdtempSync(join(tmpdir(), "victor-bench-"))
process.on("exit", () => rmSync(bundleDir, { recursive: true, force: true }))
const measureScript = join(bundleDir, "measure.mjs")
await build({
  entryPoints: [join(process.cwd(), "bench", "measure.ts")],
  outfile: measureScript,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  logLevel: "warning",
  banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" }
})

// One fresh process per scenario: no scenario inherits another's heap, JIT state or garbage.
const measure = (scenario: Scenarios.Scenario): Promise<Measurement> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--expose-gc",
        measureScript,
        scenario.name,
        `${nodes}`,
        `${repetitionsOf(scenario)}`,
        `${warmups}`,
        `${heapRunsOf(scenario)}`,
        ...(cold ? ["cold"] : [])
      ],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let output = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
    child.on("error", reject)
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`scenario ${scenario.name} exited with ${code}`))
      resolve(JSON.parse(output.trim().split("\n").at(-1)!) as Measurement)
    })
  })

const started = performance.now()
const measurements: Array<Measurement> = []
for (const scenario of selected) {
  process.stderr.write(`measuring ${scenario.name} …\n`)
  measurements.push(await measure(scenario))
}
const seconds = (performance.now() - started) / 1000

const byName = (name: string) => measurements.find((m) => m.scenario === name)
const floor = byName(Scenarios.floor.name)!
const rivals = [Scenarios.otel, Scenarios.withSpan].flatMap((s) => byName(s.name) ?? [])
const results: Array<TargetResult> = [Scenarios.victor, Scenarios.victorWith].flatMap((s) => {
  const victor = byName(s.name)
  return victor === undefined ? [] : targets(victor, floor, rivals)
})

const cpu = cpus()[0]?.model.trim() ?? "unknown cpu"
const fewer = selected.filter((s) => repetitionsOf(s) < repetitions).map((s) => s.name)
console.log(
  `${nodes.toLocaleString("en-US")} nodes × 1 tool call, one fresh process per scenario. µs/node: median of` +
    ` ${repetitions} ${cold ? "cold runs (each after forced GCs)" : "back-to-back runs"}${
      fewer.length === 0 ? "" : ` (${Math.min(...selected.map(repetitionsOf))} for ${fewer.join(", ")})`
    } after ${warmups} warm-up runs. heap: bytes the recording keeps, between forced GCs.\n`
)
console.log(table(measurements, floor))
console.log("\nTargets (from the issue):")
for (const result of results) console.log(`  ${result.pass ? "PASS" : "FAIL"}  ${result.label}: ${result.detail}`)
console.log(
  `\nMachine: Node ${process.version}, ${availableParallelism()} CPUs (${cpu}), ${process.platform}/${process.arch}` +
    `; bench took ${seconds.toFixed(1)} s`
)
console.log("\nScenarios:")
for (const scenario of selected) console.log(`  ${scenario.name}: ${scenario.description}`)

if (args.includes("--check") && results.some((r) => !r.pass)) process.exitCode = 1
