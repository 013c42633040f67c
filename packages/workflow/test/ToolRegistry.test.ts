import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { describe, expect, it, layer } from "@effect/vitest"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { makeTree as makeRoot, testAllowedPaths } from "./fixtures.ts"

const run = (name: string, inputs: Record<string, unknown>) =>
  Effect.flatMap(
    ToolRegistry.ToolRegistry,
    (registry) => Effect.flatMap(registry.get(name), (tool) => tool.run(inputs))
  )

const makeTree = Effect.zipWith(makeRoot, Path.Path, (root, path) => ({ root, path }))

const TestLayer = Layer.provideMerge(ToolRegistry.layerBuiltinWith({ allowedPaths: testAllowedPaths }), NodeContext.layer)

// The real clock: tools run real processes, and their timeouts must fire in real time.
layer(TestLayer, { excludeTestServices: true })("ToolRegistry built-in tools", (it) => {
  it.effect("lists the built-in tools and names the known ones for an unknown tool", () =>
    Effect.gen(function*() {
      const registry = yield* ToolRegistry.ToolRegistry
      expect(Array.from(registry.tools.keys()).sort()).toEqual(["grep", "ls", "read", "shell", "write"])
      const error = yield* Effect.flip(registry.get("curl"))
      expect(error).toMatchObject({ _tag: "ToolError", reason: "UnknownTool", tool: "curl" })
      expect(error.message).toBe("unknown tool 'curl'; known tools: grep, ls, read, shell, write")
    }))

  it.scoped("shell runs sh -c and returns stdout, stderr and exit_code", () =>
    Effect.gen(function*() {
      const { root } = yield* makeTree
      const output = yield* run("shell", { command: "echo out; echo err >&2; ls src | wc -l", cwd: root })
      expect(output).toEqual({ stdout: "out\n3\n", stderr: "err\n", exit_code: 0 })
    }))

  it.effect("shell processes get the registry's env, then the fiber's currentEnvironment", () =>
    Effect.gen(function*() {
      const registry = yield* Effect.provide(
        ToolRegistry.ToolRegistry,
        ToolRegistry.layerBuiltinWith({ env: { GREETING: "hello", WHO: "registry" } })
      )
      const shell = yield* registry.get("shell")
      const plain = yield* shell.run({ command: "echo \"$GREETING $WHO\"" })
      expect(plain["stdout"]).toBe("hello registry\n")
      const local = yield* Effect.locally(
        shell.run({ command: "echo \"$GREETING $WHO\"" }),
        ToolRegistry.currentEnvironment,
        { WHO: "node" }
      )
      expect(local["stdout"]).toBe("hello node\n")
    }))

  it.effect("shell fails on a non-zero exit code with the first line of stderr", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        run("shell", { command: "echo partial; echo 'boom: broken' >&2; echo more >&2; exit 3" })
      )
      expect(error).toMatchObject({ reason: "Failed", tool: "shell" })
      expect(error.message).toBe("command exited with code 3: boom: broken")
      const silent = yield* Effect.flip(run("shell", { command: "exit 4" }))
      expect(silent.message).toBe("command exited with code 4")
    }))

  it.effect("shell stops a command that outlives its timeout", () =>
    Effect.gen(function*() {
      const started = Date.now()
      const error = yield* Effect.flip(run("shell", { command: "sleep 5", timeout: 0.2 }))
      expect(error).toMatchObject({ reason: "Timeout", message: "command timed out after 0.2s" })
      expect(Date.now() - started).toBeLessThan(3000)
    }))

  it.effect("shell rejects bad inputs with the field name", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(run("shell", {}))
      expect(missing).toMatchObject({ reason: "InvalidInput", message: "invalid input command: is missing" })
      const cwd = yield* Effect.flip(run("shell", { command: "true", cwd: "/definitely/not/here" }))
      expect(cwd).toMatchObject({ reason: "NotFound", message: "no such file or directory: /definitely/not/here" })
    }))

  it.scoped("read returns content and size, resolving relative paths against the working directory", () =>
    Effect.gen(function*() {
      const { root, path } = yield* makeTree
      const absolute = path.join(root, "src/a.ts")
      expect(yield* run("read", { path: absolute })).toEqual({ content: "const a = 1\n// TODO: rename a\n", size: 30 })
      const relative = path.relative(process.cwd(), absolute)
      expect(yield* run("read", { path: relative })).toMatchObject({ size: 30 })
      const missing = yield* Effect.flip(run("read", { path: path.join(root, "nope.txt") }))
      expect(missing).toMatchObject({
        reason: "NotFound",
        message: `no such file or directory: ${path.join(root, "nope.txt")}`
      })
    }))

  it.scoped("write creates the directory and reports the bytes written", () =>
    Effect.gen(function*() {
      const { root, path } = yield* makeTree
      const fs = yield* FileSystem.FileSystem
      const target = path.join(root, "out/deep/report.txt")
      expect(yield* run("write", { path: target, content: "héllo" })).toEqual({ path: target, bytes: 6 })
      expect(yield* fs.readFileString(target)).toBe("héllo")
    }))

  it.scoped("grep searches recursively, skips node_modules and .git, and filters by glob", () =>
    Effect.gen(function*() {
      const { root, path } = yield* makeTree
      const all = yield* run("grep", { pattern: "TODO|FIXME", path: root })
      expect(all).toEqual({
        matches: [
          { file: path.join(root, "src/a.ts"), line: 2, text: "// TODO: rename a" },
          { file: path.join(root, "src/nested/b.ts"), line: 1, text: "// FIXME later" },
          { file: path.join(root, "src/notes.md"), line: 1, text: "TODO in markdown" }
        ],
        count: 3,
        truncated: false
      })
      const typescript = yield* run("grep", { pattern: "todo|fixme", path: root, glob: "*.ts", ignore_case: true })
      expect(typescript).toMatchObject({ count: 2 })
      const nested = yield* run("grep", { pattern: "TODO|FIXME", path: root, glob: "src/nested/**" })
      expect(nested).toMatchObject({ count: 1 })
      const oneFile = yield* run("grep", { pattern: "const", path: path.join(root, "src/nested/b.ts") })
      expect(oneFile).toMatchObject({ count: 1, matches: [{ line: 2, text: "export const b = 2" }] })
      const capped = yield* run("grep", { pattern: ".", path: root, max_matches: 2 })
      expect(capped).toMatchObject({ count: 2, truncated: true })
      const invalid = yield* Effect.flip(run("grep", { pattern: "(unclosed", path: root }))
      expect(invalid.reason).toBe("InvalidInput")
      expect(invalid.message).toContain("invalid pattern \"(unclosed\"")
    }))

  it.scoped("grep keeps name order over wide directories and cuts at max_matches where a walk in order would", () =>
    Effect.gen(function*() {
      const { root, path } = yield* makeTree
      const fs = yield* FileSystem.FileSystem
      const wide = path.join(root, "wide")
      yield* fs.makeDirectory(wide)
      // 40 files and 3 directories interleaved in name order, more entries than grep examines at once.
      const expected: Array<string> = []
      for (let i = 0; i < 40; i++) {
        const name = `f${String(i).padStart(2, "0")}`
        // A large first file finishes reading last; its matches still come first.
        const lines = i === 0 ? "x\n".repeat(200_000) + "hit 0\nhit 0 again\n" : `hit ${i}\n`
        yield* fs.writeFileString(path.join(wide, `${name}.txt`), lines)
        if (i === 0) expected.push("f00.txt:200001", "f00.txt:200002")
        else expected.push(`${name}.txt:1`)
        // "f05.txt" sorts before "f05d".
        if (i % 13 === 5) {
          yield* fs.makeDirectory(path.join(wide, `${name}d`), { recursive: true })
          yield* fs.writeFileString(path.join(wide, `${name}d`, "inner.txt"), "hit inner\n")
          expected.push(`${name}d/inner.txt:1`)
        }
      }
      const where = (output: unknown) =>
        (output as { matches: Array<{ file: string; line: number }> }).matches.map((match) =>
          `${path.relative(wide, match.file)}:${match.line}`
        )
      const all = yield* run("grep", { pattern: "^hit", path: wide })
      expect(where(all)).toEqual(expected)
      expect(all).toMatchObject({ count: expected.length, truncated: false })
      const capped = yield* run("grep", { pattern: "^hit", path: wide, max_matches: 9 })
      expect(where(capped)).toEqual(expected.slice(0, 9))
      expect(capped).toMatchObject({ count: 9, truncated: true })
      const exact = yield* run("grep", { pattern: "^hit", path: wide, max_matches: expected.length })
      expect(exact).toMatchObject({ count: expected.length, truncated: false })
    }))

  it.scoped("grep walks a directory reached twice (a link, a loop) once, where it comes first in name order", () =>
    Effect.gen(function*() {
      const { root, path } = yield* makeTree
      const fs = yield* FileSystem.FileSystem
      const tree = path.join(root, "twice")
      yield* fs.makeDirectory(path.join(tree, "b_real", "deep"), { recursive: true })
      yield* fs.writeFileString(path.join(tree, "b_real", "deep", "x.ts"), "hit\n")
      yield* fs.writeFileString(path.join(tree, "c.ts"), "hit\n")
      yield* fs.symlink(path.join(tree, "b_real"), path.join(tree, "a_link"))
      yield* fs.symlink(tree, path.join(tree, "b_real", "deep", "up"))
      const where = (output: unknown) =>
        (output as { matches: Array<{ file: string }> }).matches.map((match) => path.relative(tree, match.file))
      // "a_link" sorts first: the directory is searched there, and not again as "b_real"; "up" leads back to the root.
      expect(where(yield* run("grep", { pattern: "hit", path: tree }))).toEqual(["a_link/deep/x.ts", "c.ts"])
      // A glob on paths matches the path the walk took.
      expect(where(yield* run("grep", { pattern: "hit", path: tree, glob: "a_link/**" }))).toEqual(["a_link/deep/x.ts"])
      expect(where(yield* run("grep", { pattern: "hit", path: tree, glob: "b_real/**" }))).toEqual([])
    }))

  it.scoped("ls lists entries with their types, sorted", () =>
    Effect.gen(function*() {
      const { root } = yield* makeTree
      const output = yield* run("ls", { path: root })
      expect(output).toEqual({
        entries: [
          { name: ".git", type: "directory" },
          { name: "node_modules", type: "directory" },
          { name: "src", type: "directory" }
        ],
        count: 3
      })
      const missing = yield* Effect.flip(run("ls", { path: `${root}/nope` }))
      expect(missing.reason).toBe("NotFound")
    }))
})

describe("ToolRegistry.make", () => {
  it.effect("holds custom tools; a later tool replaces an earlier one", () =>
    Effect.gen(function*() {
      const echo = (tag: string): ToolRegistry.Tool => ({
        name: "echo",
        description: "echoes",
        run: (inputs) => Effect.succeed({ tag, ...inputs })
      })
      const registry = ToolRegistry.make({
        tools: [echo("first"), echo("second")]
      })
      const tool = yield* registry.get("echo")
      expect(yield* tool.run({ x: 1 })).toEqual({ tag: "second", x: 1 })
      expect(Array.from(registry.tools.keys())).toEqual(["echo"])
      expect((yield* Effect.flip(registry.get("shell"))).message).toBe("unknown tool 'shell'; known tools: echo")
    }))
})
