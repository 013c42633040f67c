/**
 * The workflow loader benchmark (`pnpm bench:load`): what loading and validating a large workflow costs, in process
 * (`WorkflowLoader.parse` + `WorkflowValidation.check`, the library) and through `victor workflow validate` (a
 * subprocess, start-up included), against the targets of issue 18:
 *
 * - a 10,000-node workflow loads and validates in at most 0.4 s, holding at most 2 KB per node;
 * - a ~50 MB workflow file validates in at most 1 GB of memory.
 *
 * Workflows of 1,000, 10,000 and 40,000 nodes are generated in a temporary directory, in the block style of Victor's
 * files, with a realistic mix: transforms (one line, a list, a `|` block), conditions with branches, parallel nodes
 * whose children are compute nodes with tools (`shell`, `read`), compute nodes with inputs, descriptions and comments;
 * the ~50 MB file is the same mix at about 480,000 nodes. Every measurement runs in a fresh process:
 *
 * - library: in a child `node --expose-gc`, the first load + validate of the file (`cold`: what a command pays, the
 *   code not yet optimized), then `--reps` more (`warm`, median); `retained`: the heap the loaded definition holds
 *   after forced GCs, per node; `peak`: the child's maximum RSS above its RSS before loading, per node;
 * - CLI: `victor workflow validate` run `--cli-reps` times (median wall time; maximum RSS from the child itself), and
 *   the same command on a one-node workflow, so that `load + validate` (the difference) leaves start-up out.
 *
 * Options: `--sizes 1000,10000,40000`, `--big-mb 50` (0: no large file), `--reps 5`, `--cli-reps 3`,
 * `--only lib|cli` (one side), `--dir DIR` (write the workflows there and keep them, to profile by hand), `--check`
 * (exit code 1 when a target fails). Run from the repository root, bundled as the CLI is:
 * `node bench/bundled.mjs bench/load.ts`.
 */
import * as ShellTemplate from "@victor/workflow/ShellTemplate"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const argument = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`)
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

// ---------------------------------------------------------------------------------------------------------------
// The workflows

/** Ten nodes: a transform, a condition, a parallel node with two compute children, and so on, chained to the next. */
const group = (g: number, last: boolean): string => {
  const p = `g${g}_`
  return [
    `  # group ${g}`,
    `  - id: ${p}prepare`,
    `    type: transform`,
    `    description: "derive the inputs of group ${g}"`,
    `    transform:`,
    `      - "count_${g} = ${g} + 1"`,
    `      - "double_${g} = count_${g} * 2"`,
    `  - id: ${p}route`,
    `    type: condition`,
    `    condition: "$ctx.count_${g} > 3 and double_${g} < 100000"`,
    `    branches:`,
    `      "true": ${p}checks`,
    `      default: ${p}fetch`,
    `  - id: ${p}checks`,
    `    type: parallel`,
    `    parallel_nodes: [${p}lint, ${p}test]`,
    `    join_strategy: all`,
    `    next: ${p}fetch`,
    `  - id: ${p}lint`,
    `    type: compute`,
    `    tools: [shell]`,
    `    inputs:`,
    `      command: "echo lint ${g}"`,
    `    timeout: 60`,
    `  - id: ${p}test`,
    `    type: compute`,
    `    tools: [shell]`,
    `    inputs: { command: "echo test ${g}" }`,
    `    output: test_${g}`,
    `  - id: ${p}fetch`,
    `    type: compute`,
    `    tools: [read]`,
    `    inputs:`,
    `      path: "/tmp/group_${g}.txt"`,
    `  - id: ${p}summarize`,
    `    type: transform`,
    `    transform: |`,
    `      total_${g} = double_${g} + 1`,
    `      label_${g} = "group ${g}"`,
    `  - id: ${p}gate`,
    `    type: condition`,
    `    condition: "total_${g} > 10"`,
    `    branches: { "true": ${p}note, "false": ${p}done }`,
    `  - id: ${p}note`,
    `    type: transform`,
    `    transform: "noted_${g} = true"`,
    `    next: ${p}done`,
    `  - id: ${p}done`,
    `    type: transform`,
    `    transform: ["done_${g} = total_${g}"]`,
    ...(last ? [] : [`    next: g${g + 1}_prepare`])
  ].join("\n")
}

/** A workflow of `nodes` nodes (a multiple of ten). */
const workflowYaml = (nodes: number): string => {
  const groups = Math.ceil(nodes / 10)
  const parts = [
    `name: load_${nodes}`,
    `description: "generated by bench/load.ts: ${nodes} nodes"`,
    `max_iterations: ${nodes * 2}`,
    "nodes:"
  ]
  for (let g = 0; g < groups; g++) parts.push(group(g, g === groups - 1))
  return parts.join("\n") + "\n"
}

/** The tools the workflows use, as the built-in ones check them (`shell`'s command is code). */
const tools = ToolRegistry.make({
  tools: [
    {
      name: "shell",
      description: "runs a command",
      run: () => Effect.succeed({}),
      codeInputs: { command: { render: ShellTemplate.render, check: ShellTemplate.check } }
    },
    { name: "read", description: "reads a file", run: () => Effect.succeed({}) }
  ]
})

/** Loads and validates a file's text, failing on any error finding. */
const loadAndValidate = (source: string, path: string) =>
  Effect.gen(function*() {
    const workflow = yield* WorkflowLoader.parse(source, path)
    const findings = yield* WorkflowValidation.check(workflow).pipe(
      Effect.provideService(ToolRegistry.ToolRegistry, tools)
    )
    const errors = WorkflowValidation.errors(findings)
    if (errors.length > 0) return yield* Effect.die(new Error(`invalid workflow: ${errors[0]!.message}`))
    return workflow
  })

// ---------------------------------------------------------------------------------------------------------------
// A child process: one file, loaded in process

interface LibraryResult {
  readonly nodes: number
  readonly coldMs: number
  readonly warmMs: number
  readonly retainedBytesPerNode: number
  readonly peakBytesPerNode: number
  readonly maxRssBytes: number
}

const child = (file: string, reps: number) => {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error("the child needs node --expose-gc")
  const settle = () => {
    gc()
    gc()
    return process.memoryUsage().heapUsed
  }
  const source = readFileSync(file, "utf8")
  const rssBefore = process.memoryUsage().rss
  const heapBefore = settle()
  let start = performance.now()
  let workflow: unknown = Effect.runSync(loadAndValidate(source, file))
  const coldMs = performance.now() - start
  const maxRssBytes = process.resourceUsage().maxRSS * 1024
  const nodes = (workflow as { nodes: ReadonlyArray<unknown> }).nodes.length
  const retained = settle() - heapBefore
  const times: Array<number> = []
  // No forced GC between these runs: a full GC also drops what optimized code holds weakly, and each run would
  // start cold again (see bench/README.md).
  for (let i = 0; i < reps; i++) {
    workflow = undefined
    start = performance.now()
    workflow = Effect.runSync(loadAndValidate(source, file))
    times.push(performance.now() - start)
  }
  const result: LibraryResult = {
    nodes,
    coldMs,
    warmMs: times.length === 0 ? coldMs : median(times),
    retainedBytesPerNode: retained / nodes,
    peakBytesPerNode: (maxRssBytes - rssBefore) / nodes,
    maxRssBytes
  }
  process.stdout.write(JSON.stringify(result) + "\n")
}

// ---------------------------------------------------------------------------------------------------------------
// The parent: generate, measure, report

const library = (file: string, reps: number): LibraryResult => {
  const run = spawnSync(process.execPath, ["--expose-gc", process.argv[1]!, "--child", file, String(reps)], {
    encoding: "utf8",
    maxBuffer: 1 << 24
  })
  if (run.status !== 0) throw new Error(`library child failed on ${file}: ${run.stderr}`)
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as LibraryResult
}

// The command's own maximum RSS, printed as it exits (no /usr/bin/time needed).
const reportRss = "data:text/javascript," +
  encodeURIComponent("process.on('exit',()=>process.stderr.write('\\nmaxrss='+process.resourceUsage().maxRSS+'\\n'))")

interface CliResult {
  readonly wallMs: number
  readonly maxRssBytes: number
}

const cli = (victor: string, file: string, cwd: string, reps: number): CliResult => {
  // As bench/cli.ts: a home of its own, and no CA file for Node to read at start-up.
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: cwd, NO_COLOR: "1" }
  delete env.NODE_EXTRA_CA_CERTS
  const walls: Array<number> = []
  let maxRss = 0
  for (let i = 0; i < reps; i++) {
    const start = performance.now()
    const run = spawnSync(process.execPath, ["--import", reportRss, victor, "workflow", "validate", file], {
      cwd,
      encoding: "utf8",
      env,
      maxBuffer: 1 << 26
    })
    walls.push(performance.now() - start)
    if (run.status !== 0) throw new Error(`victor workflow validate ${file} failed (${run.status}): ${run.stderr}`)
    const rss = /maxrss=(\d+)/.exec(run.stderr)
    maxRss = Math.max(maxRss, rss === null ? 0 : Number(rss[1]) * 1024)
  }
  return { wallMs: median(walls), maxRssBytes: maxRss }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`
const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`
const ms = (value: number) => value.toFixed(0)

const main = () => {
  const sizes = argument("sizes", "1000,10000,40000").split(",").map(Number)
  const bigMb = Number(argument("big-mb", "50"))
  const reps = Number(argument("reps", "5"))
  const cliReps = Number(argument("cli-reps", "3"))
  const only = argument("only", "lib,cli")
  const check = process.argv.includes("--check")
  const root = process.cwd()
  const victor = join(root, "packages", "cli", "bin", "victor.cjs")
  if (only.includes("cli") && !existsSync(victor)) {
    throw new Error(`run from the repository root (no ${victor}): pnpm bench:load`)
  }

  const kept = argument("dir", "")
  const dir = kept === "" ? mkdtempSync(join(tmpdir(), "victor-bench-load-")) : kept
  mkdirSync(dir, { recursive: true })
  try {
    const files: Array<{ readonly label: string; readonly file: string; readonly nodes: number }> = []
    for (const nodes of sizes) {
      const file = join(dir, `load_${nodes}.yaml`)
      writeFileSync(file, workflowYaml(nodes))
      files.push({ label: `${nodes.toLocaleString("en-US")} nodes`, file, nodes })
    }
    let big: { readonly file: string; readonly nodes: number; readonly bytes: number } | undefined
    if (bigMb > 0) {
      // About 110 bytes a node: the node count that makes the file about `bigMb` MB.
      const perGroup = group(0, false).length + 1
      const nodes = Math.ceil((bigMb * 1024 * 1024) / perGroup) * 10
      const file = join(dir, `load_big.yaml`)
      writeFileSync(file, workflowYaml(nodes))
      big = { file, nodes, bytes: statSync(file).size }
      files.push({ label: `${mb(big.bytes)} file (${nodes.toLocaleString("en-US")} nodes)`, file, nodes })
    }
    const oneNode = join(dir, "one_node.yaml")
    writeFileSync(oneNode, workflowYaml(10))

    console.log(`Node ${process.version}, ${process.platform}/${process.arch}`)
    const targets: Array<{ readonly ok: boolean; readonly line: string }> = []
    const target = (ok: boolean, line: string) => targets.push({ ok, line })

    if (only.includes("lib")) {
      console.log(
        `\n### In process: WorkflowLoader.parse + WorkflowValidation.check (cold: first run in a fresh process; ` +
          `warm: median of ${reps} more)\n`
      )
      console.log("| workflow | cold ms | warm ms | cold ms / 1k nodes | warm ms / 1k nodes | retained / node | peak RSS / node | max RSS |")
      console.log("|---|---:|---:|---:|---:|---:|---:|---:|")
      for (const { file, label, nodes } of files) {
        const result = library(file, file === big?.file ? Math.min(reps, 1) : reps)
        console.log(
          `| ${label} | ${ms(result.coldMs)} | ${ms(result.warmMs)} | ${(result.coldMs / (nodes / 1000)).toFixed(1)} | ${
            (result.warmMs / (nodes / 1000)).toFixed(1)
          } | ${kb(result.retainedBytesPerNode)} | ${kb(result.peakBytesPerNode)} | ${mb(result.maxRssBytes)} |`
        )
        if (nodes === 10_000) {
          target(result.coldMs <= 400, `10,000 nodes load + validate in process, cold: ${ms(result.coldMs)} ms (≤ 400 ms)`)
          target(
            result.peakBytesPerNode <= 2048,
            `10,000 nodes in process, peak RSS per node: ${kb(result.peakBytesPerNode)} (≤ 2 KB)`
          )
          target(
            result.retainedBytesPerNode <= 2048,
            `10,000 nodes in process, retained heap per node: ${kb(result.retainedBytesPerNode)} (≤ 2 KB)`
          )
        }
        if (file === big?.file) {
          target(result.maxRssBytes <= 1024 ** 3, `${mb(big.bytes)} file in process, max RSS: ${mb(result.maxRssBytes)} (≤ 1 GB)`)
        }
      }
    }

    if (only.includes("cli")) {
      console.log(`\n### \`victor workflow validate\` (a subprocess; median of ${cliReps} runs, 1 for the large file)\n`)
      const startup = cli(victor, oneNode, dir, cliReps)
      console.log("| workflow | wall ms | load + validate ms (wall − 10-node run) | ms / 1k nodes | max RSS | (max RSS − 10-node run) / node |")
      console.log("|---|---:|---:|---:|---:|---:|")
      console.log(`| 10 nodes (start-up) | ${ms(startup.wallMs)} | | | ${mb(startup.maxRssBytes)} | |`)
      for (const { file, label, nodes } of files) {
        const result = cli(victor, file, dir, file === big?.file ? 1 : cliReps)
        const own = result.wallMs - startup.wallMs
        const perNode = (result.maxRssBytes - startup.maxRssBytes) / nodes
        console.log(
          `| ${label} | ${ms(result.wallMs)} | ${ms(own)} | ${(own / (nodes / 1000)).toFixed(1)} | ${
            mb(result.maxRssBytes)
          } | ${kb(perNode)} |`
        )
        if (nodes === 10_000) {
          target(own <= 400, `10,000 nodes \`victor workflow validate\`, past start-up: ${ms(own)} ms (≤ 400 ms)`)
          target(perNode <= 2048, `10,000 nodes \`victor workflow validate\`, RSS per node: ${kb(perNode)} (≤ 2 KB)`)
        }
        if (nodes === 40_000) {
          target(perNode <= 2048, `40,000 nodes \`victor workflow validate\`, RSS per node: ${kb(perNode)} (≤ 2 KB)`)
        }
        if (file === big?.file) {
          target(
            result.maxRssBytes <= 1024 ** 3,
            `${mb(big.bytes)} file \`victor workflow validate\`, max RSS: ${mb(result.maxRssBytes)} (≤ 1 GB)`
          )
        }
      }
    }

    console.log("\nTargets (issue 18):")
    for (const { line, ok } of targets) console.log(`  ${ok ? "PASS" : "FAIL"}  ${line}`)
    if (check && targets.some((t) => !t.ok)) process.exitCode = 1
  } finally {
    if (kept === "") rmSync(dir, { recursive: true, force: true })
  }
}

const childAt = process.argv.indexOf("--child")
if (childAt >= 0) child(process.argv[childAt + 1]!, Number(process.argv[childAt + 2] ?? "0"))
else main()
