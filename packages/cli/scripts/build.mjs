// Bundles the CLI into dist/victor.mjs with esbuild, so `victor` starts without a TypeScript loader.
// Runs on `pnpm install` (root postinstall) and from `pnpm victor`; with --if-stale it only rebuilds when a
// source file of the workspace is newer than the bundle.
import { build } from "esbuild"
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const cliRoot = join(dirname(fileURLToPath(import.meta.url)), "..")
const repoRoot = join(cliRoot, "..", "..")
const outdir = join(cliRoot, "dist")
const entry = join(outdir, "victor.mjs")

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

/** Moves a fresh build over `to`: chunks first, then the other files, the entry (`victor.mjs`) last. */
const moveInto = (from, to) => {
  const chunks = join(to, "chunks")
  mkdirSync(chunks, { recursive: true })
  const written = new Set(readdirSync(join(from, "chunks")))
  for (const name of written) renameSync(join(from, "chunks", name), join(chunks, name))
  const files = readdirSync(from).filter((name) => name !== "chunks")
  files.sort((a, b) => (a === "victor.mjs" ? 1 : b === "victor.mjs" ? -1 : 0))
  for (const name of files) renameSync(join(from, name), join(to, name))
  const anHourAgo = Date.now() - 3_600_000
  for (const name of readdirSync(chunks)) {
    if (!written.has(name) && statSync(join(chunks, name)).mtimeMs < anHourAgo) rmSync(join(chunks, name))
  }
}

if (!process.argv.includes("--if-stale") || isStale()) {
  // Built aside and moved in file by file, the entry last: a `victor` already running (a test, another terminal)
  // still finds every chunk it may yet import. Chunks that no build has written for an hour are removed.
  const staging = `${outdir}.staging-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  await build({
    entryPoints: { victor: join(cliRoot, "src", "main.ts") },
    outdir: staging,
    outExtension: { ".js": ".mjs" },
    // Commands import their engines lazily, so `victor --help` loads only the command tree.
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minify: true,
    sourcemap: "linked",
    legalComments: "none",
    logLevel: "warning",
    // Some bundled CommonJS dependencies call require() for Node built-ins.
    banner: { js: "import { createRequire as __victorCreateRequire } from 'node:module'; const require = __victorCreateRequire(import.meta.url);" }
  })
  moveInto(staging, outdir)
  rmSync(staging, { recursive: true, force: true })
}
