// Bundles the CLI into dist/victor.mjs with esbuild, so `victor` starts without a TypeScript loader.
// Runs on `pnpm install` (root postinstall) and from `pnpm victor`; with --if-stale it only rebuilds when a
// source file of the workspace is newer than the bundle.
import { build } from "esbuild"
import { readdirSync, rmSync, statSync } from "node:fs"
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
      if (entry.name === "node_modules" || entry.name === "dist" || entry.name === "test") continue
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

if (!process.argv.includes("--if-stale") || isStale()) {
  rmSync(outdir, { recursive: true, force: true })
  await build({
    entryPoints: { victor: join(cliRoot, "src", "main.ts") },
    outdir,
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
}
