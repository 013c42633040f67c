// A workflow whose name, node ids, tool output and errors and hitl prompt carry terminal control sequences (an OSC
// that retitles the terminal, a clear-screen CSI, a carriage return, a one-byte C1 CSI, a bidi override), through the
// real CLI: none of them reaches stdout or stderr raw, and each shows as a visible escape.
import { beforeAll, describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import * as TerminalText from "../../src/TerminalText.ts"
import { repoRoot, runVictor, sandbox, type VictorRun, victorBin } from "../setup/runVictor.ts"

// The payload as YAML escapes, as printf escapes (UTF-8 bytes for U+009B and U+202E), and as the CLI shows it.
const yaml = String.raw`\e]0;PWNED\a\e[2J\r\x9b31m\u202e`
const printf = String.raw`\033]0;PWNED\007\033[2J\302\23331m\342\200\256\r`
const shown = String.raw`\u001b]0;PWNED\u0007\u001b[2J\r\u009b31m\u202e`
const raw = "\u001b]0;PWNED\u0007\u001b[2J\r\u009b31m\u202e"

// What a terminal acts on: C0 but line feed and tab (CR included), DEL, C1, bidi embeddings, overrides and isolates.
const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/

const hostileWorkflow = (dir: string): string => {
  const file = join(dir, "hostile.yaml")
  const quoted = (command: string) => `"${command.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`
  writeFileSync(
    file,
    [
      `name: "evil ${yaml} name"`,
      "nodes:",
      `  - id: "out ${yaml}"`,
      "    type: compute",
      "    tools: [shell]",
      `    inputs: { command: ${quoted(`printf 'stdout ${printf}'; printf 'stderr ${printf}' >&2`)} }`,
      `  - id: "gate ${yaml}"`,
      "    type: hitl",
      "    hitl_type: approval",
      `    prompt: "Approve ${yaml}?"`,
      "    fallback: continue",
      `  - id: "fail ${yaml}"`,
      "    type: compute",
      "    tools: [shell]",
      `    inputs: { command: ${quoted(`printf 'boom ${printf}' >&2; exit 3`)} }`
    ].join("\n") + "\n"
  )
  return file
}

/** Asserts that neither stream of a run holds a character a terminal would act on. */
const expectOnlyText = (run: VictorRun) => {
  for (const [name, text] of [["stdout", run.stdout], ["stderr", run.stderr]] as const) {
    const found = unsafe.exec(text)
    expect(found, `${name} holds U+${found?.[0].charCodeAt(0).toString(16).padStart(4, "0")}: ${JSON.stringify(text)}`)
      .toBeNull()
  }
}

describe("TerminalText", () => {
  const every = Array.from({ length: 0xa0 }, (_, i) => String.fromCharCode(i)).join("") +
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

  it("escapes what a terminal acts on, keeping line breaks and tabs of multi-line text", () => {
    expect(TerminalText.escape(`a${raw}\tb\r\nc\nd`)).toBe(`a${shown}\tb\nc\nd`)
    expect(TerminalText.escapeLine(`a${raw}\tb\r\nc`)).toBe(String.raw`a\u001b]0;PWNED\u0007\u001b[2J\r\u009b31m\u202e\tb\r\nc`)
    expect(TerminalText.escape("C:\\Users\\é😀 ok")).toBe("C:\\Users\\é😀 ok")
    expect(TerminalText.escape(every)).not.toMatch(unsafe)
    expect(TerminalText.escapeLine(every)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/)
  })

  it("is idempotent, and keeps JSON valid and equal", () => {
    for (const text of [every, `a${raw}\r\nb`]) {
      expect(TerminalText.escape(TerminalText.escape(text))).toBe(TerminalText.escape(text))
      expect(TerminalText.escape(TerminalText.escapeLine(text))).toBe(TerminalText.escapeLine(text))
      const json = JSON.stringify({ [text]: [text] }, null, 2)
      expect(JSON.parse(TerminalText.escape(json))).toEqual({ [text]: [text] })
    }
  })

  it("makeConsole escapes every string it is given", () => {
    const printed: Array<unknown> = []
    const capture = (...args: ReadonlyArray<unknown>) => Effect.sync(() => void printed.push(...args))
    const console = TerminalText.makeConsole({ ...Effect.runSync(Effect.console), log: capture, error: capture })
    Effect.runSync(Effect.zipRight(console.log(`x${raw}`, 1), console.error(raw)))
    expect(printed).toEqual([`x${shown}`, 1, shown])
  })
})

describe("hostile text reaches the terminal escaped", () => {
  const { home, traceDir } = sandbox()
  const workflow = hostileWorkflow(home)
  let traced: VictorRun
  // One run stores the trace the other commands read.
  beforeAll(() => {
    traced = runVictor(["workflow", "trace", workflow], { home })
  })

  it("workflow trace: the summary", () => {
    expect(traced.code, traced.stderr).toBe(1)
    expectOnlyText(traced)
    expect(traced.stdout).toContain(`Workflow    evil ${shown} name`)
    expect(traced.stdout).toContain(`fail ${shown} (compute): shell: command exited with code 3: boom `)
  })

  it("trace list, and --json stays valid JSON with the values unchanged", () => {
    const list = runVictor(["trace", "list"], { home })
    expect(list.code, list.stderr).toBe(0)
    expectOnlyText(list)
    expect(list.stdout).toContain(`evil ${shown} name`)
    const json = runVictor(["trace", "list", "--json"], { home })
    expect(json.code, json.stderr).toBe(0)
    expectOnlyText(json)
    expect(JSON.parse(json.stdout)[0].workflow_name).toBe(`evil ${raw} name`)
  })

  it("trace show last (and --full): ids, errors and previews", () => {
    for (const args of [["trace", "show", "last"], ["trace", "show", "last", "--full"]]) {
      const show = runVictor(args, { home })
      expect(show.code, show.stderr).toBe(0)
      expectOnlyText(show)
      for (const id of ["out", "gate", "fail"]) expect(show.stdout).toContain(`${id} ${shown}`)
      expect(show.stdout).toContain(String.raw`error:   command exited with code 3: boom \u001b]0;PWNED\u0007`)
    }
    const full = runVictor(["trace", "show", "last", "--full"], { home })
    expect(full.stdout).toContain(String.raw`"stdout": "stdout \u001b]0;PWNED\u0007\u001b[2J\u009b31m\u202e\r"`)
  })

  it("trace analyze, stats and compare: text, and analyze --json stays valid JSON", () => {
    for (const args of [["trace", "analyze", "last"], ["trace", "stats"], ["trace", "compare", "last", "last"]]) {
      const run = runVictor(args, { home })
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(0)
      expectOnlyText(run)
      expect(run.stdout).toContain(shown)
    }
    const json = runVictor(["trace", "analyze", "last", "--json"], { home })
    expect(json.code, json.stderr).toBe(0)
    expectOnlyText(json)
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain("fail \\u001b]0;PWNED\\u0007")
  })

  it("workflow validate: the valid line, and error lines naming a hostile node", () => {
    const valid = runVictor(["workflow", "validate", workflow], { home })
    expect(valid.code, valid.stderr).toBe(0)
    expectOnlyText(valid)
    expect(valid.stdout).toContain(`workflow 'evil ${shown} name' is valid`)
    const broken = join(home, "broken.yaml")
    writeFileSync(
      broken,
      `name: "broken ${yaml}"\nnodes:\n  - id: "a ${yaml}"\n    type: transform\n    transform: x = 1\n` +
        `    next: ["missing ${yaml}", "other ${yaml}"]\n`
    )
    const invalid = runVictor(["workflow", "validate", broken], { home })
    expect(invalid.code).toBe(2)
    expectOnlyText(invalid)
    expect(invalid.stderr).toMatch(/^victor: /m)
    expect(invalid.stderr).toContain(`missing ${shown}`)
  })

  it("a store warning about a file with a hostile name", () => {
    writeFileSync(join(traceDir, `junk${raw}.json`), "{ not json")
    const list = runVictor(["trace", "list"], { home })
    expect(list.code, list.stderr).toBe(0)
    expectOnlyText(list)
    expect(list.stderr).toContain(`victor: warning:`)
    expect(list.stderr).toContain(`junk${shown}.json`)
  })

  it("what a plugin says: its load error, its exporter's name", () => {
    writeFileSync(join(home, "victor.config.json"), JSON.stringify({ plugins: ["./throws.mjs", "./named.mjs"] }))
    writeFileSync(join(home, "throws.mjs"), `throw new Error(${JSON.stringify(`blew up ${raw}`)})`)
    writeFileSync(
      join(home, "named.mjs"),
      `export default { name: ${JSON.stringify(`named ${raw}`)}, exporters: [{ name: ${JSON.stringify(`fmt ${raw}`)}, ` +
        `fileExtension: "x", mediaType: "text/plain", description: ${JSON.stringify(raw)}, export: () => [] }] }`
    )
    const run = runVictor(["workflow", "trace", workflow, "--format", "nope", "-o", "out.nope"], { home, cwd: home })
    expect(run.code, run.stderr).toBe(2)
    expectOnlyText(run)
    expect(run.stderr).toContain(`blew up ${shown}`)
    expect(run.stderr).toContain(`fmt ${shown}`)
  })

  it("the hitl question on a terminal", () => {
    // `script` runs victor on a pseudo-terminal, as a person's shell would; "y" answers the question.
    const run = spawnSync(
      "timeout",
      ["-k", "5", "40", "script", "-qfec", `"${process.execPath}" "${victorBin}" workflow trace "${workflow}"`, "/dev/null"],
      { cwd: repoRoot, env: { ...process.env, HOME: home, CI: "", NO_COLOR: "1" }, input: "y\n", encoding: "utf8", timeout: 60_000 }
    )
    expect(run.stdout).toContain(`? Approve ${shown}?`)
    // The pseudo-terminal, readline and the live view write carriage returns and cursor moves of their own; no part
    // of the payload is raw.
    for (const sequence of ["\u001b]", "\u0007", "\u001b[2J", "\u009b", "\u202e"]) {
      expect(run.stdout, JSON.stringify(sequence)).not.toContain(sequence)
    }
  })
})
