// --capture and redaction apply to every sink alike: what the store keeps of inputs and outputs is all that the `-o`
// export of `workflow trace`, `trace export` and `--events ndjson` carry.
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runVictor, sandbox } from "./setup/runVictor.ts"

/** A workflow whose node gets the context's word as input and prints a second word after `bytes` filler characters. */
const canaryWorkflow = (dir: string, bytes: number) => {
  const file = join(dir, "canary.yaml")
  const filler = bytes === 0 ? "" : `head -c ${bytes} /dev/zero | tr '\\\\0' x; `
  writeFileSync(file, [
    "workflows:",
    "  canary:",
    "    nodes:",
    "      - id: speak",
    "        type: compute",
    "        tools: [shell]",
    `        inputs: { command: "${filler}echo OUT-CANARY-9b2e $ctx.word" }`
  ].join("\n"))
  return file
}

const context = JSON.stringify({ word: "IN-CANARY-7f3a" })

/** The stored trace files' texts. */
const storedTexts = (traceDir: string) =>
  readdirSync(traceDir).filter((n) => n.endsWith(".json")).map((n) => readFileSync(join(traceDir, n), "utf8"))

interface ExportedNode {
  readonly inputs: unknown
  readonly outputs: unknown
  readonly tool_calls: ReadonlyArray<{ readonly inputs: unknown; readonly outputs: unknown }>
}

const nodesOf = (text: string) => (JSON.parse(text) as { nodes: ReadonlyArray<ExportedNode> }).nodes

describe("capture and redaction on every sink", () => {
  it("--capture none: no input or output content in the store, the -o export, trace export or the events", () => {
    const { home, traceDir } = sandbox()
    const out = join(home, "out.json")
    const run = runVictor(
      ["workflow", "trace", canaryWorkflow(home, 0), "--context", context, "--capture", "none", "-o", out],
      { home }
    )
    expect(run.code, run.stderr).toBe(0)
    const exported = readFileSync(out, "utf8")
    expect(exported).not.toContain("CANARY")
    expect(exported).toContain("$omitted")
    const [stored] = storedTexts(traceDir)
    expect(stored).not.toContain("CANARY")
    // The export has the shape the store keeps.
    expect(nodesOf(exported)).toEqual(nodesOf(stored!))

    for (const format of ["json", "csv", "html"]) {
      const again = runVictor(["trace", "export", "last", "--format", format], { home })
      expect(again.code, again.stderr).toBe(0)
      expect(again.stdout, format).not.toContain("CANARY")
    }
    const events = runVictor(
      ["workflow", "trace", canaryWorkflow(home, 0), "--context", context, "--capture", "none", "--events", "ndjson"],
      { home }
    )
    expect(events.code, events.stderr).toBe(0)
    expect(events.stdout).not.toContain("CANARY")
  }, 120_000)

  it("--capture preview: the -o export keeps what the store keeps (a preview of a large value), not the value", () => {
    const { home, traceDir } = sandbox()
    const out = join(home, "out.json")
    const run = runVictor(
      ["workflow", "trace", canaryWorkflow(home, 100_000), "--context", context, "--capture", "preview", "-o", out],
      { home }
    )
    expect(run.code, run.stderr).toBe(0)
    const exported = readFileSync(out, "utf8")
    // The output's end is past the preview: gone. The small input stays inline, as in the store.
    expect(exported).not.toContain("OUT-CANARY-9b2e IN-CANARY")
    expect(exported).toContain("$omitted")
    expect(exported.length).toBeLessThan(50_000)
    const [stored] = storedTexts(traceDir)
    expect(nodesOf(exported)).toEqual(nodesOf(stored!))
    expect(readdirSync(traceDir)).not.toContain("blobs")
  }, 60_000)

  it("--capture full (the default): the -o export has every value in full", () => {
    const { home } = sandbox()
    const out = join(home, "out.json")
    const run = runVictor(["workflow", "trace", canaryWorkflow(home, 100_000), "--context", context, "-o", out], { home })
    expect(run.code, run.stderr).toBe(0)
    expect(readFileSync(out, "utf8")).toContain("OUT-CANARY-9b2e IN-CANARY-7f3a")
  }, 60_000)

  it("a secret of the environment is redacted in the store, the -o export and the events alike", () => {
    const { home, traceDir } = sandbox()
    const secret = "s3cr3t-canary-5d4c3b2a"
    const file = join(home, "leaky.yaml")
    writeFileSync(file, [
      "workflows:",
      "  leaky:",
      "    nodes:",
      "      - id: leak",
      "        type: compute",
      "        tools: [shell]",
      "        inputs: { command: \"echo token=$MY_SERVICE_TOKEN\" }"
    ].join("\n"))
    const out = join(home, "out.json")
    const run = runVictor(["workflow", "trace", file, "-o", out, "--events", "ndjson"], {
      home,
      env: { MY_SERVICE_TOKEN: secret }
    })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).not.toContain(secret)
    expect(readFileSync(out, "utf8")).not.toContain(secret)
    expect(readFileSync(out, "utf8")).toContain("[REDACTED]")
    for (const text of storedTexts(traceDir)) expect(text).not.toContain(secret)
  }, 60_000)
})
