// The bin's code cache (bin/victor.cjs): a copy of the bin and the built bundle in a temp directory, run as a user
// runs it. The cache speeds the start only; whatever state it is in, the command behaves the same.
import { spawnSync } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { describe, expect, it } from "vitest"
import { repoRoot } from "./setup/runVictor.ts"

const install = () => {
  const root = mkdtempSync(join(tmpdir(), "victor-code-cache-"))
  mkdirSync(join(root, "bin"))
  mkdirSync(join(root, "dist"))
  copyFileSync(join(repoRoot, "packages", "cli", "bin", "victor.cjs"), join(root, "bin", "victor.cjs"))
  for (const name of ["victor.cjs", "version.cjs"]) {
    const from = join(repoRoot, "packages", "cli", "dist", name)
    copyFileSync(from, join(root, "dist", name))
    // The copy keeps the build's time, which the cache's key names.
    const { atime, mtime } = statSync(from)
    utimesSync(join(root, "dist", name), atime, mtime)
  }
  const home = join(root, "home")
  mkdirSync(home)
  const cache = join(root, "dist", "victor.cache")
  const victor = (...args: ReadonlyArray<string>) => {
    const env: Record<string, string> = { HOME: home, NO_COLOR: "1", PATH: process.env["PATH"] ?? "" }
    const result = spawnSync(process.execPath, [join(root, "bin", "victor.cjs"), ...args], { cwd: home, env, encoding: "utf8" })
    return { code: result.status, stdout: result.stdout, stderr: result.stderr }
  }
  return { root, home, cache, victor }
}

describe("victor's code cache", () => {
  it("is written by the first command, read by the next, and rewritten when it is truncated or names an older bundle", () => {
    const { cache, root, victor } = install()
    const expected = victor("--help")
    expect(expected.code).toBe(0)
    expect(expected.stderr).toBe("")
    expect(expected.stdout).toContain("workflow")
    expect(existsSync(cache)).toBe(true)
    const written = readFileSync(cache)
    expect(written.subarray(0, written.indexOf(10)).toString()).toMatch(/^victor-code-cache \d+ [\d.]+ v\d+\.\d+\.\d+ \w+$/)

    // Read, and left alone.
    const again = victor("--help")
    expect(again).toEqual(expected)
    expect(readFileSync(cache).equals(written)).toBe(true)

    // Cut short (a full disk): V8 refuses it; the command runs all the same and the cache is written anew.
    writeFileSync(cache, written.subarray(0, written.length >> 1))
    expect(victor("--help")).toEqual(expected)
    const renewed = readFileSync(cache)
    expect(renewed.length).toBeGreaterThan(written.length * 0.9)
    expect(renewed.subarray(0, renewed.indexOf(10)).equals(written.subarray(0, written.indexOf(10)))).toBe(true)

    // A rebuilt bundle (another time) does not take the old bundle's cache.
    const bundle = join(root, "dist", "victor.cjs")
    const later = new Date(statSync(bundle).mtimeMs + 60_000)
    utimesSync(bundle, later, later)
    expect(victor("--help")).toEqual(expected)
    const rewritten = readFileSync(cache)
    expect(rewritten.subarray(0, rewritten.indexOf(10)).toString()).not.toBe(
      written.subarray(0, written.indexOf(10)).toString()
    )
  })

  it("a plugin is imported from a cached bundle, and --version answers without the bundle", () => {
    const { home, root, victor } = install()
    const stream = pathToFileURL(join(repoRoot, "node_modules", "effect", "dist", "esm", "Stream.js")).href
    writeFileSync(
      join(home, "upper.mjs"),
      [
        `import * as Stream from ${JSON.stringify(stream)}`,
        "export default { name: 'upper', exporters: [{",
        "  name: 'upper', fileExtension: 'up', mediaType: 'text/plain', description: 'test exporter',",
        "  export: (trace) => Stream.make(new TextEncoder().encode(trace.workflowName.toUpperCase()))",
        "}] }"
      ].join("\n")
    )
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({ plugins: ["./upper.mjs"] }))
    writeFileSync(
      join(home, "flow.yaml"),
      "workflows:\n  flow:\n    nodes:\n      - id: add\n        type: transform\n        transform: total = 1 + 2\n"
    )
    // The first run writes the cache; the second runs from it.
    for (let run = 0; run < 2; run++) {
      const result = victor("workflow", "trace", "flow.yaml", "-o", `out${run}.up`)
      expect(result.stderr).toBe("")
      expect(result.code).toBe(0)
      expect(readFileSync(join(home, `out${run}.up`), "utf8")).toBe("FLOW")
    }
    writeFileSync(join(root, "dist", "victor.cjs"), "throw new Error('the bundle was compiled')\n")
    expect(victor("--version")).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) })
  })
})
