// What an MCP server costs a run's start (`pnpm bench:mcp`): `victor workflow run` of a one-node workflow (a
// transform) as a user starts it, a new process each time, with no MCP server configured, and with one stdio server
// configured in victor.config.json (the reference filesystem server, started from node_modules with this Node) that
// the workflow does not call, and the same with the node calling one of its tools (`list_directory`) instead.
// The variants run in turns (ABC, then CBA, ...) so that drift on a shared machine falls on all of them alike; the
// table shows medians of N turns, the range, each variant's ratio to the run without a server, and the median of the
// ratios turn by turn (each turn's runs are next to one another in time, so that ratio holds up best under load).
//
// NODE_EXTRA_CA_CERTS is removed from the environment of every run (it adds about 100 ms to each Node start here);
// the server gets only the MCP SDK's minimal environment (PATH, HOME, ...) either way.
//
// Options: --runs N (timed turns, default 15), --warmup N (untimed turns first, default 2). Run from the repository
// root, after `pnpm build`: node bench/mcp-startup.mjs [--runs N]
import { spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { cpus, tmpdir } from "node:os"
import { dirname, join } from "node:path"

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} takes a whole number, e.g. --${name} ${fallback}`)
  return value
}
const RUNS = arg("runs", 15)
const WARMUP = arg("warmup", 2)

const repoRoot = process.cwd()
const victorBin = join(repoRoot, "packages", "cli", "bin", "victor.cjs")
if (!existsSync(victorBin)) throw new Error(`run from the repository root (no ${victorBin}): pnpm bench:mcp`)
const fromMcp = createRequire(join(repoRoot, "packages", "mcp", "package.json"))
const filesystemServer = join(
  dirname(fromMcp.resolve("@modelcontextprotocol/server-filesystem/package.json")),
  "dist",
  "index.js"
)

const root = mkdtempSync(join(tmpdir(), "victor-bench-mcp-"))
const home = join(root, "home")
mkdirSync(home)

const env = { ...process.env, HOME: home, NO_COLOR: "1" }
delete env.NODE_EXTRA_CA_CERTS
for (const key of Object.keys(env)) if (key.startsWith("VICTOR_")) delete env[key]

/** A directory holding `wf.yaml` (one node) and, with `server`, a victor.config.json declaring it. */
const variant = (name, node, server) => {
  const dir = join(root, name)
  mkdirSync(dir)
  writeFileSync(join(dir, "wf.yaml"), ["name: bench", "nodes:", `  - ${node}`].join("\n"))
  if (server) {
    writeFileSync(join(dir, "victor.config.json"), JSON.stringify({
      mcp_servers: { fs: { command: process.execPath, args: [filesystemServer, dir] } }
    }))
  }
  return { name, dir }
}

const variants = [
  variant("no MCP server", "{ id: step, type: transform, transform: x = 1 }", false),
  variant("1 stdio server (filesystem), not called", "{ id: step, type: transform, transform: x = 1 }", true),
  variant(
    "1 stdio server (filesystem), node calls list_directory",
    "{ id: step, type: compute, tools: [list_directory], inputs: { path: . } }",
    true
  )
]

const runOnce = ({ name, dir }) => {
  const start = performance.now()
  const result = spawnSync(process.execPath, [victorBin, "workflow", "run", "wf.yaml"], {
    cwd: dir,
    env,
    encoding: "utf8"
  })
  const ms = performance.now() - start
  if (result.status !== 0) {
    throw new Error(`${name}: victor exited ${result.status}: ${result.stderr || result.stdout}`)
  }
  return ms
}

const median = (values) => {
  const sorted = values.slice().sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

try {
  const times = variants.map(() => [])
  for (let turn = 0; turn < WARMUP + RUNS; turn++) {
    const order = turn % 2 === 0 ? variants.map((_, i) => i) : variants.map((_, i) => variants.length - 1 - i)
    for (const i of order) {
      const ms = runOnce(variants[i])
      if (turn >= WARMUP) times[i].push(ms)
    }
  }
  const base = median(times[0])
  const node = median(Array.from({ length: 5 }, () => {
    const start = performance.now()
    spawnSync(process.execPath, ["-e", "0"], { env })
    return performance.now() - start
  }))
  console.log(`victor workflow run, a one-node workflow, ${RUNS} turns (after ${WARMUP} warm-up), Node ${process.version}, ` +
    `${cpus().length} CPUs, NODE_EXTRA_CA_CERTS unset; \`node -e 0\` takes ${node.toFixed(0)} ms here\n`)
  console.log("| configuration | median | min | max | ratio of medians | median of ratios per turn |")
  console.log("|---|---:|---:|---:|---:|---:|")
  variants.forEach(({ name }, i) => {
    const values = times[i]
    const m = median(values)
    console.log(
      `| ${name} | ${m.toFixed(0)} ms | ${Math.min(...values).toFixed(0)} ms | ${Math.max(...values).toFixed(0)} ms | ` +
        `${(m / base).toFixed(2)}× | ${median(values.map((v, turn) => v / times[0][turn])).toFixed(2)}× |`
    )
  })
} finally {
  rmSync(root, { recursive: true, force: true })
}
