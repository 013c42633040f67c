/**
 * Large tool outputs (issue 18, item 3): `victor workflow trace` of a workflow whose one shell node prints N bytes
 * (`head -c N /dev/zero | tr '\0' a`), as the CLI ships (the bundle, packages/cli/bin/victor.cjs). For each size:
 * the most memory the process had (max RSS, from `/usr/bin/time -f %M`), the time, and the stored output: the trace's
 * `stdout` must be a blob reference whose blob is the JSON string of the N bytes, with the expected size and sha256
 * (the file is hashed again, not trusted). PASS when the run succeeded, the blob is intact, and max RSS ≤ the limit.
 *
 * Usage: node bench/bundled.mjs bench/payload.ts [--sizes 200M,1G] [--limit-mb 300] [--victor path/to/victor.cjs]
 * [--timeout-s 900]. Build the bundle first (`node packages/cli/scripts/build.mjs`). Exit code 1 when a size fails.
 * Needs about twice the largest size free on the temp directory's disk.
 */
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import {
  createReadStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync
} from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

const argv = process.argv.slice(2)
const option = (name: string): string | undefined => {
  const at = argv.indexOf(`--${name}`)
  return at === -1 ? undefined : argv[at + 1]
}

const parseSize = (text: string): number => {
  const match = /^(\d+(?:\.\d+)?)([KMG]?)$/i.exec(text.trim())
  if (match === null) throw new Error(`not a size: ${text} (e.g. 200M, 1G)`)
  const unit = { "": 1, K: 1e3, M: 1e6, G: 1e9 }[match[2]!.toUpperCase() as "" | "K" | "M" | "G"]
  return Math.round(Number(match[1]) * unit)
}

const sizes = (option("sizes") ?? "200M,1G").split(",").map(parseSize)
const limitMb = Number(option("limit-mb") ?? 300)
const timeoutMs = Number(option("timeout-s") ?? 900) * 1000
const victor = resolve(option("victor") ?? join("packages", "cli", "bin", "victor.cjs"))
if (!existsSync(victor)) {
  throw new Error(`no ${victor}: build it (node packages/cli/scripts/build.mjs) or pass --victor`)
}
if (!existsSync("/usr/bin/time")) throw new Error("needs /usr/bin/time (GNU time) for the max RSS")

/** The sha256 of the JSON string of `count` times "a": what the blob must hold. */
const expectedHash = (count: number): string => {
  const hash = createHash("sha256").update("\"")
  const piece = Buffer.alloc(1 << 20, "a")
  for (let left = count; left > 0; left -= piece.length) hash.update(piece.subarray(0, Math.min(left, piece.length)))
  return hash.update("\"").digest("hex")
}

const hashFile = (file: string): Promise<string> =>
  new Promise((done, fail) => {
    const hash = createHash("sha256")
    createReadStream(file, { highWaterMark: 1 << 20 })
      .on("data", (chunk) => hash.update(chunk))
      .on("error", fail)
      .on("end", () => done(hash.digest("hex")))
  })

interface Row {
  readonly size: number
  readonly rssMb: number | undefined
  readonly seconds: number
  readonly stored: string
  readonly verdict: "PASS" | "FAIL"
  readonly why: string
}

const measure = async (size: number): Promise<Row> => {
  const home = mkdtempSync(join(tmpdir(), "victor-bench-payload-"))
  try {
    const traces = join(home, "traces")
    const workflow = join(home, "big_output.yaml")
    writeFileSync(
      workflow,
      [
        "workflows:",
        "  big_output:",
        "    nodes:",
        "      - id: print",
        "        type: compute",
        "        tools: [shell]",
        "        inputs:",
        `          command: "head -c ${size} /dev/zero | tr '\\\\0' a"`
      ].join("\n") + "\n"
    )
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, VICTOR_TRACE_DIR: traces, NO_COLOR: "1" }
    const start = performance.now()
    const run = spawnSync(
      "/usr/bin/time",
      ["-f", "maxrss_kb=%M", process.execPath, victor, "workflow", "trace", workflow],
      { env, cwd: home, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }
    )
    const seconds = (performance.now() - start) / 1000
    const rss = /maxrss_kb=(\d+)/.exec(run.stderr ?? "")
    const rssMb = rss === null ? undefined : Number(rss[1]) / 1024
    const fail = (stored: string, why: string): Row => ({ size, rssMb, seconds, stored, verdict: "FAIL", why })
    if (run.status !== 0) {
      const said = `${run.stdout}\n${run.stderr}`.split("\n").map((l) => l.trim()).filter((l) =>
        l !== "" && !l.startsWith("maxrss_kb=")
      )
      // The summary's `Error` line, else what looks like one (a crash's message).
      const error = said.find((l) => /^Error\s/.test(l))?.replace(/^Error\s+/, "") ??
        said.find((l) => /error|invalid|heap|memory/i.test(l)) ?? said.at(-1) ?? `signal ${run.signal}`
      return fail("-", `exited ${run.status ?? run.signal}: ${error.slice(0, 100)}`)
    }
    const file = readdirSync(traces).find((name) => name.startsWith("big_output_") && name.endsWith(".json"))
    if (file === undefined) return fail("-", "no trace file")
    const trace = JSON.parse(readFileSync(join(traces, file), "utf8"))
    const stdout = trace.nodes?.[0]?.tool_calls?.[0]?.outputs?.stdout
    if (typeof stdout !== "object" || stdout === null || typeof stdout.$blob !== "string") {
      return fail("-", `stdout is not a blob reference: ${JSON.stringify(stdout)?.slice(0, 80)}`)
    }
    const hash = String(stdout.$blob).replace(/^sha256:/, "")
    const blob = join(traces, "blobs", hash)
    if (!existsSync(blob)) return fail("-", `blob ${hash.slice(0, 12)}… is missing`)
    const bytes = statSync(blob).size
    const stored = `${(bytes / 1e6).toFixed(0)} MB sha256:${hash.slice(0, 12)}…`
    if (bytes !== size + 2 || stdout.bytes !== size + 2) return fail(stored, `blob is ${bytes} bytes, not ${size + 2}`)
    const onDisk = await hashFile(blob)
    if (onDisk !== hash) return fail(stored, `blob hashes to ${onDisk.slice(0, 12)}…, not its name`)
    if (hash !== expectedHash(size)) return fail(stored, "blob is not the JSON string of the output")
    const leftovers = readdirSync(join(traces, "blobs")).filter((name) => name !== hash)
    if (leftovers.length > 0) return fail(stored, `left in blobs/: ${leftovers.join(", ")}`)
    if (rssMb === undefined) return fail(stored, "no max RSS reading")
    return rssMb <= limitMb
      ? { size, rssMb, seconds, stored, verdict: "PASS", why: "" }
      : fail(stored, `max RSS ${rssMb.toFixed(0)} MB > ${limitMb} MB`)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

const rows: Array<Row> = []
for (const size of sizes) {
  process.stderr.write(`victor workflow trace: a shell node printing ${(size / 1e6).toFixed(0)} MB...\n`)
  rows.push(await measure(size))
}

const header = ["shell output", "max RSS", "time", "stored blob (verified)", "target", "", "why"]
const table = rows.map((row) => [
  `${(row.size / 1e6).toFixed(0)} MB`,
  row.rssMb === undefined ? "-" : `${row.rssMb.toFixed(0)} MB`,
  `${row.seconds.toFixed(1)} s`,
  row.stored,
  `RSS ≤ ${limitMb} MB`,
  row.verdict,
  row.why
])
const widths = header.map((title, c) => Math.max(title.length, ...table.map((row) => row[c]!.length)))
const line = (cells: ReadonlyArray<string>) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd()
console.log(`victor workflow trace of a shell node printing large output; ${victor}; Node ${process.version}`)
console.log(line(header))
for (const row of table) console.log(line(row))
if (rows.some((row) => row.verdict === "FAIL")) process.exitCode = 1
