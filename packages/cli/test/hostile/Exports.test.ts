// Exports never clobber (issue 12, item 3): `-o` replaces only regular files (atomically, following a symlink to its
// target); a character device or a FIFO is written to in place and stays what it was; `-o -` owns stdout; a
// directory or a socket is one usage line (exit 2) before anything runs; a device that fails the write (/dev/full) is
// one clear line, and the trace is still stored. Driven through the real `victor`, as root (mknod).
import { describe, expect, it } from "@effect/vitest"
import { execFileSync, spawn } from "node:child_process"
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync
} from "node:fs"
import * as Net from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { runVictor, sandbox } from "../setup/runVictor.ts"

const isRoot = typeof process.getuid === "function" && process.getuid() === 0

/** A sandbox with a quick workflow (`flow.yaml`) and a scratch directory for export targets. */
const project = () => {
  const { home, traceDir } = sandbox()
  writeFileSync(join(home, "flow.yaml"), [
    "workflows:",
    "  flow:",
    "    nodes:",
    "      - id: first",
    "        type: transform",
    "        transform: x = 1",
    "      - id: second",
    "        type: transform",
    "        transform: y = x + 1"
  ].join("\n"))
  const scratch = mkdtempSync(join(tmpdir(), "victor-exports-"))
  const dir = ["--trace-dir", traceDir]
  const victor = (...args: Array<string>) => runVictor([...args, ...dir], { home, cwd: home })
  const trace = (...args: Array<string>) => victor("workflow", "trace", "flow.yaml", ...args)
  const exportLast = (...args: Array<string>) => victor("trace", "export", "last", ...args)
  const storedIds = () => {
    const list = runVictor(["trace", "list", "--json", ...dir], { home })
    return (JSON.parse(list.stdout) as Array<{ trace_id: string }>).map((t) => t.trace_id)
  }
  return { home, traceDir, scratch, trace, exportLast, storedIds }
}

/** Nothing but the named entries: no temporary file was left beside a target. */
const onlyEntries = (dir: string, names: ReadonlyArray<string>) =>
  expect(readdirSync(dir).sort()).toEqual([...names].sort())

/** A reader of a FIFO in its own process (the tests' victor runs synchronously): resolves with what it read. */
const readFifo = (fifo: string, into: string) => {
  const reader = spawn("sh", ["-c", "cat \"$1\" > \"$2\"", "sh", fifo, into], { stdio: "ignore" })
  return new Promise<Buffer>((resolve, reject) => {
    reader.on("error", reject)
    reader.on("exit", () => resolve(readFileSync(into)))
  })
}

describe.skipIf(!isRoot)("-o never clobbers what is not a regular file", () => {
  it("a character device (a copy of /dev/null) is written to and stays a character device", () => {
    const { exportLast, scratch, storedIds, trace } = project()
    const device = join(scratch, "null")
    execFileSync("mknod", [device, "c", "1", "3"])
    const before = statSync(device)

    const run = trace("-o", device, "--format", "json")
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain(`Output      ${device} (json,`)
    const exported = exportLast("-o", device)
    expect(exported.code, exported.stderr).toBe(0)

    const after = lstatSync(device)
    expect(after.isCharacterDevice()).toBe(true)
    expect(after.rdev).toBe(before.rdev)
    onlyEntries(scratch, ["null"])
    expect(storedIds()).toHaveLength(1)
  })

  it("a FIFO read by a concurrent reader receives the whole export and stays a FIFO", async () => {
    const { exportLast, scratch, trace } = project()
    const fifo = join(scratch, "pipe")
    execFileSync("mkfifo", [fifo])

    const fromRun = readFifo(fifo, join(scratch, "from-run.json"))
    const run = trace("-o", fifo)
    expect(run.code, run.stderr).toBe(0)
    const received = await fromRun
    // Byte for byte what `trace export` gives for the stored trace.
    expect(received.toString("utf8")).toBe(exportLast("--format", "json").stdout)
    expect((JSON.parse(received.toString("utf8")) as { status: string }).status).toBe("succeeded")

    const fromExport = readFifo(fifo, join(scratch, "from-export.json"))
    const exported = exportLast("-o", fifo)
    expect(exported.code, exported.stderr).toBe(0)
    expect((await fromExport).toString("utf8")).toBe(exportLast().stdout)

    expect(lstatSync(fifo).isFIFO()).toBe(true)
    onlyEntries(scratch, ["pipe", "from-run.json", "from-export.json"])
  })

  it("a symlink stays a link and its target is replaced (mode kept); a dangling link creates its target", () => {
    const { exportLast, scratch, trace } = project()
    const target = join(scratch, "real.json")
    writeFileSync(target, "old content")
    chmodSync(target, 0o640)
    const link = join(scratch, "link.json")
    symlinkSync("real.json", link)

    const run = trace("-o", link)
    expect(run.code, run.stderr).toBe(0)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readlinkSync(link)).toBe("real.json")
    expect(readFileSync(target, "utf8")).toBe(exportLast().stdout)
    expect(statSync(target).mode & 0o777).toBe(0o640)

    const dangling = join(scratch, "dangling.json")
    symlinkSync(join("made", "new.json"), dangling)
    const exported = exportLast("-o", dangling)
    expect(exported.code, exported.stderr).toBe(0)
    expect(lstatSync(dangling).isSymbolicLink()).toBe(true)
    expect(readFileSync(join(scratch, "made", "new.json"), "utf8")).toBe(exportLast().stdout)
    onlyEntries(scratch, ["real.json", "link.json", "dangling.json", "made"])
    onlyEntries(join(scratch, "made"), ["new.json"])
  })

  it("-o - prints exactly the export on stdout and the summary on stderr", () => {
    const { exportLast, trace, storedIds } = project()
    const run = trace("-o", "-")
    expect(run.code, run.stderr).toBe(0)
    const printed = JSON.parse(run.stdout) as { trace_id: string; status: string }
    expect(printed.trace_id).toBe(storedIds()[0])
    expect(run.stdout).toBe(exportLast().stdout)
    expect(run.stderr).toContain(`Trace ID    ${printed.trace_id}`)
    expect(run.stderr).toContain("Output      stdout (json,")

    const exported = exportLast("-o", "-", "--format", "csv")
    expect(exported.code).toBe(0)
    expect(exported.stdout.startsWith("node_id,")).toBe(true)
    expect(exported.stderr).toBe("")

    // Both want stdout: a usage error before anything runs.
    const both = trace("-o", "-", "--events", "ndjson")
    expect(both.code).toBe(2)
    expect(both.stderr.trim().split("\n")).toHaveLength(1)
    expect(storedIds()).toHaveLength(1)
  })

  it("-o <directory> and -o <socket> are one usage line, exit 2, and nothing runs", async () => {
    const { exportLast, scratch, storedIds, trace } = project()
    const socket = join(scratch, "victor.sock")
    const server = Net.createServer()
    await new Promise<void>((resolve) => server.listen(socket, resolve))
    try {
      for (const target of [scratch, socket]) {
        const run = trace("-o", target)
        expect(run.code, target).toBe(2)
        expect(run.stdout, target).toBe("")
        expect(run.stderr.trim().split("\n"), target).toHaveLength(1)
        expect(run.stderr, target).toContain(target)
        expect(storedIds(), target).toHaveLength(0)
      }
      expect(trace().code).toBe(0)
      for (const target of [scratch, socket]) {
        const exported = exportLast("-o", target)
        expect(exported.code, target).toBe(2)
        expect(exported.stderr.trim().split("\n"), target).toHaveLength(1)
      }
      expect(lstatSync(socket).isSocket()).toBe(true)
      expect(lstatSync(scratch).isDirectory()).toBe(true)
      onlyEntries(scratch, ["victor.sock"])
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  const hasDevFull = existsSync("/dev/full")
  it.skipIf(!hasDevFull)("/dev/full: one clear line, a non-zero exit, and the trace is still stored", () => {
    const { exportLast, storedIds, trace } = project()
    const run = trace("-o", "/dev/full")
    expect(run.code).not.toBe(0)
    expect(run.stderr.trim().split("\n")).toEqual(["victor: cannot write /dev/full: no space left on device"])
    expect(storedIds()).toHaveLength(1)
    expect(lstatSync("/dev/full").isCharacterDevice()).toBe(true)

    const exported = exportLast("-o", "/dev/full")
    expect(exported.code).not.toBe(0)
    expect(exported.stderr.trim().split("\n")).toEqual(["victor: cannot write /dev/full: no space left on device"])
  })
})
