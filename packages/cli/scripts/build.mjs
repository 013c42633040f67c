// Bundles the CLI into dist/victor.cjs with esbuild, so `victor` starts without a TypeScript loader, and trains the
// bundle's code cache (see bin/victor.cjs).
// Runs on `pnpm install` (root postinstall) and from `pnpm victor`; with --if-stale it only rebuilds when a
// source file of the workspace is newer than the bundle.
import { build } from "esbuild"
import { spawnSync } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const cliRoot = join(dirname(fileURLToPath(import.meta.url)), "..")
const repoRoot = join(cliRoot, "..", "..")
const outdir = join(cliRoot, "dist")
const entry = join(outdir, "victor.cjs")

const newestSource = () => {
  let newest = 0
  const walk = (dir) => {
    let entries
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      if (["node_modules", "dist", "test"].includes(entry.name) || entry.name.startsWith("dist.staging-")) continue
      const full = join(dir, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (/\.(ts|mjs|json)$/.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs)
    }
  }
  for (const group of ["packages", "plugins"]) walk(join(repoRoot, group))
  return newest
}

const isStale = () => {
  try {
    return statSync(entry).mtimeMs < newestSource()
  } catch {
    return true
  }
}

/**
 * Runs a few commands in a scratch home with `VICTOR_CODE_CACHE=train`: each ends by writing the code cache with
 * every function compiled so far (the ones the cache brought in and its own), so the cache the build leaves covers
 * help, validation, a run with a tool call, condition and transforms, the JSON and HTML exports and the history.
 * A command that fails here costs only speed: it is reported and the build goes on.
 */
const trainCodeCache = () => {
  const home = mkdtempSync(join(tmpdir(), "victor-code-cache-"))
  try {
    const workflow = join(home, "train.yaml")
    writeFileSync(join(home, "notes.txt"), "one\ntwo\n")
    writeFileSync(
      workflow,
      [
        "workflows:",
        "  train:",
        "    nodes:",
        "      - id: read_notes",
        "        type: compute",
        "        tools: [read]",
        "        inputs:",
        `          path: ${JSON.stringify(join(home, "notes.txt"))}`,
        "      - id: check",
        "        type: condition",
        "        condition: read_notes.read.size > 3",
        "        branches:",
        "          true: long",
        "          false: short",
        "      - id: long",
        "        type: transform",
        "        transform: verdict = 'long ' + str(read_notes.read.size)",
        "      - id: short",
        "        type: transform",
        "        transform: verdict = 'short'",
        ""
      ].join("\n")
    )
    const commands = [
      ["--help"],
      ["workflow", "validate", workflow],
      ["workflow", "run", workflow],
      ["workflow", "trace", workflow, "-o", join(home, "trace.json")],
      ["workflow", "trace", workflow, "-o", join(home, "trace.html"), "--format", "html"],
      ["trace", "list"]
    ]
    const env = { ...process.env, HOME: home, VICTOR_TRACE_DIR: join(home, "traces"), VICTOR_CODE_CACHE: "train", NO_COLOR: "1" }
    for (const command of commands) {
      const result = spawnSync(process.execPath, [join(cliRoot, "bin", "victor.cjs"), ...command], { cwd: home, env, stdio: ["ignore", "ignore", "pipe"] })
      if (result.status !== 0) {
        console.warn(`victor build: training the code cache, \`victor ${command.join(" ")}\` exited ${result.status}: ${result.stderr.toString().trim().split("\n")[0] ?? ""}`)
      }
    }
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

if (!process.argv.includes("--if-stale") || isStale()) {
  // Built aside and renamed in, the bundle last: a `victor` already running holds its whole script in memory, and
  // one starting meanwhile finds either build whole. The bundle is one CommonJS script (Node 20 caches the code of a
  // vm script, not of an ES module graph); commands still evaluate their engines only when they run.
  const staging = `${outdir}.staging-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  const common = { bundle: true, platform: "node", format: "cjs", target: "node20", minify: true, legalComments: "none", logLevel: "warning" }
  await build({ ...common, entryPoints: [join(cliRoot, "src", "Version.ts")], outfile: join(staging, "version.cjs") })
  await build({ ...common, entryPoints: [join(cliRoot, "src", "main.ts")], outfile: join(staging, "victor.cjs"), sourcemap: "linked" })
  mkdirSync(outdir, { recursive: true })
  for (const name of ["version.cjs", "victor.cjs.map", "victor.cjs"]) renameSync(join(staging, name), join(outdir, name))
  rmSync(staging, { recursive: true, force: true })
  // What builds before this one left: an ES module entry and its chunks; and a cache a killed command was writing
  // aside (`victor.cache.<pid>`, see bin/victor.cjs).
  for (const name of ["victor.mjs", "victor.mjs.map", "chunks"]) rmSync(join(outdir, name), { recursive: true, force: true })
  for (const name of readdirSync(outdir)) if (/^victor\.cache\.\d+$/.test(name)) rmSync(join(outdir, name), { force: true })
  trainCodeCache()
}
