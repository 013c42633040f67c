// Hostile values through the real CLI: a context value placed into a shell command never runs, and a path from a
// value never takes a file tool outside the working directory.
import { describe, expect, it } from "@effect/vitest"
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { runVictor, sandbox } from "../setup/runVictor.ts"

const workspace = () => {
  const { home, traceDir } = sandbox()
  const cwd = join(home, "project")
  mkdirSync(cwd)
  return { home, traceDir, cwd }
}

describe("hostile values: injection", () => {
  it("a --context value in a shell command is printed, never run (as root, as CI runs it)", () => {
    const { cwd, home, traceDir } = workspace()
    const canary = join(home, "PWNED")
    writeFileSync(join(cwd, "wf.yaml"), [
      "workflows:",
      "  greet:",
      "    nodes:",
      "      - id: say",
      "        type: compute",
      "        tools: [shell]",
      "        inputs: { command: 'echo {title}' }",
      "      - id: quoted",
      "        type: compute",
      "        tools: [shell]",
      "        inputs: { command: 'echo \"title: {title}\" && echo ''{title}''' }"
    ].join("\n"))
    for (const title of [`x; touch ${canary}`, `$(touch ${canary})`, `\`touch ${canary}\``, `'; touch ${canary}; '`]) {
      const run = runVictor(
        ["workflow", "trace", "wf.yaml", "--trace-dir", traceDir, "-o", "out.json", "--context", JSON.stringify({ title })],
        { home, cwd }
      )
      expect(run.code, run.stderr).toBe(0)
      expect(existsSync(canary), `ran ${title}`).toBe(false)
      const trace = JSON.parse(readFileSync(join(cwd, "out.json"), "utf8"))
      expect(trace.nodes[0].outputs.shell.stdout).toBe(`${title}\n`)
      expect(trace.nodes[1].outputs.shell.stdout).toBe(`title: ${title}\n${title}\n`)
    }
  })

  it("validate warns where a value now stands as one quoted word, and refuses one inside backticks", () => {
    const { cwd, home } = workspace()
    writeFileSync(join(cwd, "wf.yaml"), [
      "nodes:",
      "  - id: bare",
      "    type: compute",
      "    tools: [shell]",
      "    inputs: { command: 'ls {dir}' }",
      "  - id: ticks",
      "    type: compute",
      "    tools: [shell]",
      "    inputs: { command: 'echo `cat {file}`' }"
    ].join("\n"))
    const run = runVictor(["workflow", "validate", "wf.yaml"], { home, cwd })
    expect(run.code).toBe(2)
    expect(run.stdout + run.stderr).toContain("the value of {dir} is passed as one quoted word")
    expect(run.stdout + run.stderr).toContain("{file} stands inside backticks")
  })

  it("a path from a value cannot take read or write outside the working directory; --allow-path widens it", () => {
    const { cwd, home, traceDir } = workspace()
    const outside = mkdtempSync(join(tmpdir(), "victor-outside-"))
    writeFileSync(join(outside, "secret.txt"), "OUTSIDE-CANARY\n")
    writeFileSync(join(cwd, "wf.yaml"), [
      "nodes:",
      "  - id: steal",
      "    type: compute",
      "    tools: [read]",
      "    inputs: { path: '{file}' }",
      "  - id: plant",
      "    type: compute",
      "    tools: [write]",
      "    inputs: { path: '{target}', content: planted }"
    ].join("\n"))
    // A relative path that climbs out of the working directory, and an absolute one.
    const context = JSON.stringify({ file: relative(cwd, join(outside, "secret.txt")), target: join(outside, "planted") })
    const refused = runVictor(
      ["workflow", "trace", "wf.yaml", "--trace-dir", traceDir, "-o", "out.json", "--context", context],
      { home, cwd }
    )
    expect(refused.code).toBe(1)
    expect(refused.stdout + refused.stderr).not.toContain("OUTSIDE-CANARY")
    const trace = JSON.parse(readFileSync(join(cwd, "out.json"), "utf8"))
    expect(trace.nodes[0].error).toContain("is outside the directories this run may use")
    expect(trace.nodes[0].error).toContain("--allow-path")
    expect(JSON.stringify(trace)).not.toContain("OUTSIDE-CANARY")

    const allowed = runVictor(
      ["workflow", "trace", "wf.yaml", "--trace-dir", traceDir, "-o", "out.json", "--context", context, "--allow-path", outside],
      { home, cwd }
    )
    expect(allowed.code, allowed.stderr).toBe(0)
    expect(readFileSync(join(outside, "planted"), "utf8")).toBe("planted")
    const help = runVictor(["workflow", "trace", "--help"], { home, cwd })
    expect(help.stdout).toContain("--allow-path")
  })
})
