// The store trusts no link and no directory it does not own: symbolic links planted in a trace directory (the index,
// the facts cache, a trace file, a journal, the blob directory) are never read or written through by a run, `trace
// list`, `trace stats` or `trace prune`; a trace directory open to others is made 0700; one of another user, or a link
// in place of the directory, is refused with one line and exit code 2. Driven through the real `victor` (as root in
// CI), plus the Node edge's no-follow operations in this process.
import * as NoFollowFileSystem from "@victor/store-fs/NoFollowFileSystem"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync
} from "node:fs"
import { join } from "node:path"
import * as NodeNoFollowFileSystem from "../../src/store/NodeNoFollowFileSystem.ts"
import { modeOf, plain, runVictor, sandbox, type VictorRun } from "../setup/runVictor.ts"

const isRoot = typeof process.getuid === "function" && process.getuid() === 0
const stranger = 12345

/** A file outside the store that nothing may touch: bytes, type, mode and mtime are checked by `intact`. */
const plantVictim = (file: string, text: string) => {
  writeFileSync(file, text, { mode: 0o644 })
  chmodSync(file, 0o644)
  const past = new Date(Date.now() - 3_600_000)
  utimesSync(file, past, past)
  const before = lstatSync(file)
  return {
    file,
    intact: (after: string) => {
      const now = lstatSync(file)
      expect(now.isFile(), `${file} is a regular file after ${after}`).toBe(true)
      expect(readFileSync(file, "utf8"), `${file} after ${after}`).toBe(text)
      expect(now.mode & 0o7777, `${file}'s mode after ${after}`).toBe(before.mode & 0o7777)
      expect(now.mtimeMs, `${file}'s mtime after ${after}`).toBe(before.mtimeMs)
    }
  }
}

/** No stack trace, no internal error: every stderr line is one of victor's. */
const expectCleanStderr = (run: VictorRun, what: string) => {
  expect(run.stderr, what).not.toMatch(/^\s+at /m)
  expect(run.stderr, what).not.toContain("internal error")
  for (const line of run.stderr.split("\n").filter((l) => l.length > 0)) {
    expect(line, what).toMatch(/^victor: /)
  }
}

/** A workflow whose one node prints more than the inline budget (so the run writes a blob), then a transform. */
const bigOutputWorkflow = (dir: string) => {
  const file = join(dir, "links.yaml")
  writeFileSync(file, [
    "workflows:",
    "  links:",
    "    nodes:",
    "      - id: dump",
    "        type: compute",
    "        tools: [shell]",
    "        inputs: { command: \"head -c 100000 /dev/zero | tr '\\\\0' x\" }",
    "      - id: after",
    "        type: transform",
    "        transform: x = 1"
  ].join("\n"))
  return file
}

describe("hostile store: links and foreign directories", () => {
  it("links planted in the trace directory are never followed by a run, list, stats or prune", () => {
    const { home } = sandbox()
    const traceDir = join(home, "shared-traces")
    mkdirSync(traceDir, { mode: 0o700 })
    const victim = plantVictim(join(home, "victim.txt"), "root:x:0:0:root:/root:/bin/sh\n")
    const victimDir = join(home, "victim-dir")
    mkdirSync(victimDir)
    const blobName = "0".repeat(64)
    const victimBlob = plantVictim(join(victimDir, blobName), "\"keep me\"")
    const ghost = join(home, "ghost.txt")
    symlinkSync(victim.file, join(traceDir, ".index.jsonl"))
    symlinkSync(victim.file, join(traceDir, ".facts.jsonl"))
    symlinkSync(victim.file, join(traceDir, "links_planted.json"))
    symlinkSync(victim.file, join(traceDir, "links_planted.jsonl"))
    symlinkSync(ghost, join(traceDir, "links_dangling.json"))
    symlinkSync(victimDir, join(traceDir, "blobs"))
    const dir = ["--trace-dir", traceDir]
    const untouched = (after: string) => {
      victim.intact(after)
      victimBlob.intact(after)
      expect(readdirSync(victimDir), after).toEqual([blobName])
      expect(existsSync(ghost), after).toBe(false)
    }

    const run = runVictor(["workflow", "trace", bigOutputWorkflow(home), ...dir], { home })
    expect(run.code, run.stderr).toBe(0)
    expectCleanStderr(run, "workflow trace")
    untouched("workflow trace")
    const stored = readdirSync(traceDir).filter((n) => /^links_[0-9a-f-]{36}\.json$/.test(n))
    expect(stored).toHaveLength(1)
    expect(lstatSync(join(traceDir, "blobs")).isDirectory()).toBe(true)
    expect(readdirSync(join(traceDir, "blobs"))).toHaveLength(1)

    const list = runVictor(["trace", "list", "--json", ...dir], { home })
    expect(list.code, list.stderr).toBe(0)
    expectCleanStderr(list, "trace list")
    expect((JSON.parse(list.stdout) as Array<{ workflow_name: string }>).map((t) => t.workflow_name)).toEqual(["links"])
    // One warning per planted link a reader meets: the index replaced, two trace files and a journal skipped.
    const warnings = list.stderr.trim().split("\n")
    expect(warnings.filter((w) => w.includes(".index.jsonl") && w.includes("symbolic link"))).toHaveLength(1)
    expect(warnings.filter((w) => w.includes("links_planted.json:") && w.includes("symbolic link"))).toHaveLength(1)
    expect(warnings.filter((w) => w.includes("links_dangling.json:") && w.includes("symbolic link"))).toHaveLength(1)
    expect(warnings.filter((w) => w.includes("links_planted.jsonl:") && w.includes("symbolic link"))).toHaveLength(1)
    untouched("trace list")
    expect(lstatSync(join(traceDir, ".index.jsonl")).isFile()).toBe(true)
    expect(modeOf(join(traceDir, ".index.jsonl"))).toBe(0o600)

    const stats = runVictor(["trace", "stats", ...dir], { home })
    expect(stats.code, stats.stderr).toBe(0)
    expectCleanStderr(stats, "trace stats")
    expect(plain(stats.stdout)).toContain("dump")
    untouched("trace stats")
    expect(lstatSync(join(traceDir, ".facts.jsonl")).isFile()).toBe(true)
    expect(modeOf(join(traceDir, ".facts.jsonl"))).toBe(0o600)

    const show = runVictor(["trace", "show", stored[0]!.slice("links_".length, -".json".length), "--full", ...dir], { home })
    expect(show.code, show.stderr).toBe(0)
    expectCleanStderr(show, "trace show")
    untouched("trace show")

    const prune = runVictor(["trace", "prune", "--max-size", "1B", ...dir], { home })
    expect(prune.code, prune.stderr).toBe(0)
    expectCleanStderr(prune, "trace prune")
    expect(plain(prune.stdout)).toContain("Removed 1 trace")
    untouched("trace prune")
    // What the store does not own stays as it was: the skipped links are still links.
    for (const name of ["links_planted.json", "links_planted.jsonl", "links_dangling.json"]) {
      expect(lstatSync(join(traceDir, name)).isSymbolicLink(), name).toBe(true)
    }
    expect(modeOf(traceDir)).toBe(0o700)
  }, 120_000)

  it("a pre-existing trace directory open to everyone (0777) ends up 0700, by a run or a listing", () => {
    const { home } = sandbox()
    const byRun = join(home, "by-run")
    mkdirSync(byRun)
    chmodSync(byRun, 0o777)
    const run = runVictor(["workflow", "trace", bigOutputWorkflow(home), "--trace-dir", byRun], { home })
    expect(run.code, run.stderr).toBe(0)
    expectCleanStderr(run, "workflow trace")
    expect(modeOf(byRun)).toBe(0o700)
    expect(run.stdout).not.toContain("WARN")

    const byList = join(home, "by-list")
    mkdirSync(byList)
    chmodSync(byList, 0o777)
    const list = runVictor(["trace", "list", "--trace-dir", byList], { home })
    expect(list.code, list.stderr).toBe(0)
    expect(list.stderr).toBe(
      `victor: warning: trace directory ${byList} was open to other users (mode 0777); it is now private (0700)\n`
    )
    expect(modeOf(byList)).toBe(0o700)
  }, 60_000)

  it.runIf(isRoot)("a trace directory of another user is refused, even as root: exit 2, one line, nothing written", () => {
    const { home } = sandbox()
    const foreign = join(home, "foreign")
    mkdirSync(foreign)
    chmodSync(foreign, 0o777)
    chownSync(foreign, stranger, stranger)
    const refusal = `trace directory ${foreign} belongs to another user (uid ${stranger}), not to you (uid 0): ` +
      `take it over (chown 0 '${foreign}' && chmod 700 '${foreign}') or use a directory of your own (--trace-dir DIR)`
    for (const args of [["trace", "list"], ["trace", "stats"], ["trace", "prune", "--keep-last", "1"]]) {
      const run = runVictor([...args, "--trace-dir", foreign], { home })
      expect(run.code, args.join(" ")).toBe(2)
      expect(run.stderr, args.join(" ")).toBe(`victor: ${refusal}\n`)
    }
    // A run is refused before anything runs (the store is checked first), in one line.
    const run = runVictor(["workflow", "trace", bigOutputWorkflow(home), "--trace-dir", foreign], { home })
    expect(run.code).toBe(2)
    expect(run.stderr).toBe(`victor: ${refusal}\n`)
    expect(run.stdout).toBe("")
    expect(readdirSync(foreign)).toEqual([])
    expect(modeOf(foreign)).toBe(0o777)
    expect(lstatSync(foreign).uid).toBe(stranger)
  }, 60_000)

  it("a link in place of the trace directory is refused with one line naming the directory to use", () => {
    const { home } = sandbox()
    const real = join(home, "real")
    mkdirSync(real, { mode: 0o700 })
    const linked = join(home, "linked")
    symlinkSync(real, linked)
    const list = runVictor(["trace", "list", "--trace-dir", linked], { home })
    expect(list.code).toBe(2)
    expect(list.stderr).toBe(
      `victor: trace directory ${linked} is a symbolic link to ${real}, which the store does not follow: ` +
        `use the directory itself (--trace-dir ${real})\n`
    )
    const run = runVictor(["workflow", "trace", bigOutputWorkflow(home), "--trace-dir", linked], { home })
    expect(run.code).toBe(2)
    expect(run.stderr.trim().split("\n")).toHaveLength(1)
    expect(readdirSync(real)).toEqual([])
  }, 60_000)
})

describe("NodeNoFollowFileSystem (the Node edge)", () => {
  const use = <A, E>(f: (fs: NoFollowFileSystem.NoFollowFileSystem["Type"]) => Effect.Effect<A, E, never>) =>
    Effect.flatMap(NoFollowFileSystem.NoFollowFileSystem, f).pipe(Effect.provide(NodeNoFollowFileSystem.layer))

  it.effect("refuses a link for every operation, atomically (O_NOFOLLOW), and never creates through a dangling one", () =>
    use((fs) =>
      Effect.gen(function*() {
        const { home } = sandbox()
        const victim = plantVictim(join(home, "victim.txt"), "precious\n")
        const link = join(home, "link")
        symlinkSync(victim.file, link)
        expect((yield* fs.lstat(link)).type).toBe("SymbolicLink")
        expect((yield* Effect.flip(fs.readFileString(link)))._tag).toBe("SystemError")
        expect((yield* Effect.flip(Effect.scoped(fs.open(link, { flag: "a", mode: 0o600 }))))._tag).toBe("SystemError")
        expect((yield* Effect.flip(Effect.scoped(fs.open(link, { flag: "wx", mode: 0o600 }))))._tag).toBe("SystemError")
        expect((yield* Effect.flip(fs.chmod(link, 0o600)))._tag).toBe("SystemError")
        victim.intact("the no-follow operations")
        const ghost = join(home, "ghost")
        const dangling = join(home, "dangling")
        symlinkSync(ghost, dangling)
        yield* Effect.flip(Effect.scoped(fs.open(dangling, { flag: "a", mode: 0o600 })))
        expect(existsSync(ghost)).toBe(false)
      })
    ))

  it.effect("creates files with exactly their mode whatever the umask, and appends", () =>
    use((fs) =>
      Effect.gen(function*() {
        const { home } = sandbox()
        const file = join(home, "file")
        const umask = process.umask(0o077)
        try {
          const write = (flag: NoFollowFileSystem.OpenFlag, mode: number, text: string) =>
            Effect.scoped(Effect.flatMap(fs.open(file, { flag, mode }), (h) => h.writeAll(new TextEncoder().encode(text))))
          yield* write("wx", 0o640, "a")
          expect(modeOf(file)).toBe(0o640)
          yield* write("a", 0o600, "b")
        } finally {
          process.umask(umask)
        }
        expect(yield* fs.readFileString(file)).toBe("ab")
        expect(modeOf(file)).toBe(0o600)
        const exists = yield* Effect.flip(Effect.scoped(fs.open(file, { flag: "wx", mode: 0o600 })))
        expect(exists).toMatchObject({ _tag: "SystemError", reason: "AlreadyExists" })
      })
    ))

  const hasMkfifo = spawnSync("mkfifo", ["--version"]).status === 0
  it.effect.runIf(hasMkfifo)("a FIFO is never waited on: it reads as empty at once, and is refused for writing", () =>
    use((fs) =>
      Effect.gen(function*() {
        const { home } = sandbox()
        const fifo = join(home, "fifo")
        expect(spawnSync("mkfifo", [fifo]).status).toBe(0)
        expect(yield* fs.readFileString(fifo)).toBe("")
        expect((yield* Effect.flip(Effect.scoped(fs.open(fifo, { flag: "a", mode: 0o600 }))))._tag).toBe("SystemError")
      })
    ))
})
