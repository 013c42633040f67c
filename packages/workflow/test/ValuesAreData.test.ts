// A value from the context, a model or a tool never widens what a node does: it is quoted into shell commands, read
// once into templates, and the file tools stay inside their allowed directories.
import * as NodeContext from "@effect/platform-node/NodeContext"
import { expect, layer } from "@effect/vitest"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"
const load = (source: string) => WorkflowLoader.parse(source, "test.yaml")

const root = mkdtempSync(join(tmpdir(), "victor-data-"))
const work = join(root, "work")
const outside = join(root, "outside")
mkdirSync(work)
mkdirSync(outside)
writeFileSync(join(outside, "secret.txt"), "SECRET-OUTSIDE\n")
writeFileSync(join(work, "inside.txt"), "inside\n")
symlinkSync(outside, join(work, "escape"))
symlinkSync(join(outside, "secret.txt"), join(work, "leak.txt"))
symlinkSync(join(work, "inside.txt"), join(work, "alias.txt"))
symlinkSync(work, join(work, "loop"))

const RunLayer = Layer.mergeAll(
  Layer.provideMerge(ToolRegistry.layerBuiltinWith({ allowedPaths: [work] }), NodeContext.layer),
  WorkflowTracer.layerMemory()
)

layer(RunLayer, { excludeTestServices: true })("values are data", (it) => {
  it.effect("a context value in a shell command is quoted: it prints, it never runs", () =>
    Effect.gen(function*() {
      const canary = join(root, "PWNED")
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: greet",
        "    type: compute",
        "    tools: [shell]",
        "    inputs: { command: 'echo {title}' }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow, { context: { title: `x; touch ${canary}` } })
      expect(result.status).toBe("succeeded")
      expect(existsSync(canary)).toBe(false)
      const call = result.trace.nodes[0]!.toolCalls[0]!
      expect(call.inputs).toEqual({ command: `echo 'x; touch ${canary}'` })
      expect(call.outputs["stdout"]).toBe(`x; touch ${canary}\n`)
    }))

  it.effect("a command that is exactly $ctx.key, or mapped from state, runs as one quoted word", () =>
    Effect.gen(function*() {
      const canary = join(root, "PWNED-2")
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: exact",
        "    type: compute",
        "    tools: [shell]",
        "    fail_fast: false",
        "    inputs: { command: $ctx.cmd }",
        "  - id: mapped",
        "    type: compute",
        "    tools: [shell]",
        "    fail_fast: false",
        "    input_mapping: { command: cmd }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow, { context: { cmd: `touch ${canary}` } })
      expect(existsSync(canary)).toBe(false)
      for (const node of result.trace.nodes) {
        expect(node.toolCalls[0]!.inputs["command"]).toBe(`'touch ${canary}'`)
        expect(node.toolCalls[0]!.success).toBe(false)
      }
    }))

  it.effect("env hands a value to the command with no quoting at all", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: greet",
        "    type: compute",
        "    tools: [shell]",
        "    inputs: { command: 'printf \"%s\" \"$TITLE\"', env: { TITLE: '{title}' } }"
      ))
      const title = "it's \"quoted\" $(not run) `nor this`"
      const result = yield* WorkflowExecutor.execute(workflow, { context: { title } })
      expect(result.trace.nodes[0]!.outputs).toMatchObject({ shell: { stdout: title } })
    }))

  it.effect("a value's braces are not read again as placeholders in a prompt or a command", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: greet",
        "    type: compute",
        "    tools: [shell]",
        "    inputs: { command: 'printf \"%s\" \"{title}\"' }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow, { context: { title: "{secret}", secret: "S3CRET" } })
      expect(result.trace.nodes[0]!.outputs).toMatchObject({ shell: { stdout: "{secret}" } })
    }))

  it.effect("the file tools stay inside their allowed directories, links followed", () =>
    Effect.gen(function*() {
      const registry = yield* ToolRegistry.ToolRegistry
      const run = (tool: string, inputs: Record<string, unknown>) =>
        Effect.flatMap(registry.get(tool), (found) => Effect.either(found.run(inputs as never)))
      const refused = [
        yield* run("read", { path: join(outside, "secret.txt") }),
        yield* run("read", { path: join(work, "..", "outside", "secret.txt") }),
        yield* run("read", { path: join(work, "escape", "secret.txt") }),
        yield* run("write", { path: join(outside, "new.txt"), content: "x" }),
        yield* run("write", { path: join(work, "escape", "new.txt"), content: "x" }),
        yield* run("ls", { path: outside }),
        yield* run("grep", { pattern: "SECRET", path: outside })
      ]
      for (const result of refused) {
        expect(result._tag).toBe("Left")
        if (result._tag === "Left") {
          expect(result.left.reason).toBe("OutsideAllowedPaths")
          expect(result.left.message).toContain("--allow-path")
        }
      }
      expect(existsSync(join(outside, "new.txt"))).toBe(false)
      const inside = yield* run("read", { path: join(work, "inside.txt") })
      expect(inside._tag).toBe("Right")
      const written = yield* run("write", { path: join(work, "deep", "out.txt"), content: "ok" })
      expect(written._tag).toBe("Right")
      expect(readFileSync(join(work, "deep", "out.txt"), "utf8")).toBe("ok")
      // grep over the allowed tree follows no link that leads out of it (a directory's, a file's), follows the
      // one that stays inside, and walks a directory reached again through a loop only once.
      const searched = yield* run("grep", { pattern: "SECRET", path: work })
      expect(searched._tag === "Right" && searched.right["count"]).toBe(0)
      const found = yield* run("grep", { pattern: "inside", path: work })
      expect(found._tag === "Right" && found.right["matches"]).toEqual([
        { file: join(work, "alias.txt"), line: 1, text: "inside" },
        { file: join(work, "inside.txt"), line: 1, text: "inside" }
      ])
    }))

  it.effect("validate: a value inside backticks is an error; a value as a bare command word is a warning", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: ticks",
        "    type: compute",
        "    tools: [shell]",
        "    inputs: { command: 'echo `cat {file}`' }",
        "  - id: bare",
        "    type: compute",
        "    tools: [shell]",
        "    inputs: { command: 'ls {dir}' }",
        "  - id: quoted",
        "    type: compute",
        "    tools: [shell]",
        "    inputs: { command: 'ls \"{dir}\"' }"
      ))
      const findings = yield* WorkflowValidation.check(workflow)
      const about = (id: string) => findings.filter((f) => f.nodeId === id).map((f) => [f.severity, f.message])
      expect(about("ticks")).toEqual([[
        "error",
        "test.yaml:5:13: node 'ticks' shell command: {file} stands inside backticks, where no value can be quoted " +
          "safely; write $(...) instead"
      ]])
      expect(about("bare")).toHaveLength(1)
      expect(about("bare")[0]![0]).toBe("warning")
      expect(about("bare")[0]![1]).toContain("the value of {dir} is passed as one quoted word")
      expect(about("quoted")).toEqual([])
    }))
})
