// The command line as a person expects it: plain help when piped, a description on every option, full usage lines,
// one-line errors that name the option or command (with the nearest one suggested), `workflow validate` over every
// workflow of a file, and a directory given as a workflow file.
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { repoRoot, runVictor, sandbox, victorBin } from "./setup/runVictor.ts"

/** Runs victor with stdout and stderr piped; `noColor` undefined leaves NO_COLOR out of the environment. */
const piped = (args: ReadonlyArray<string>, home: string, noColor: string | undefined) => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("VICTOR_") && key !== "NO_COLOR") env[key] = value
  }
  if (noColor !== undefined) env["NO_COLOR"] = noColor
  const result = spawnSync(process.execPath, [victorBin, ...args], {
    cwd: repoRoot,
    env: { ...env, HOME: home },
    encoding: "utf8",
    timeout: 60_000
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Every command of the tree, as the root's help lists them, and the groups above them. */
const allCommands = (home: string): Array<ReadonlyArray<string>> => {
  const root = runVictor(["--help"], { home }).stdout
  const leaves = root.split("Commands:\n")[1]!.split("\n\n")[0]!.split("\n")
    .map((line) => line.trim().split(/\s{2,}/)[0]!.split(" "))
  const groups = [...new Set(leaves.map((words) => words[0]!))].map((group) => [group])
  return [[], ...groups, ...leaves]
}

describe("help", () => {
  it("has no escape sequences when piped, with or without NO_COLOR", () => {
    const { home } = sandbox()
    for (const noColor of [undefined, "1"]) {
      for (const args of [["--help"], ["workflow", "trace", "--help"], ["trace"], ["trace", "compare", "-h"]]) {
        const run = piped(args, home, noColor)
        expect(run.code, args.join(" ")).toBe(0)
        expect(run.stdout.length).toBeGreaterThan(100)
        expect(run.stdout.includes("\u001b"), `${args.join(" ")} NO_COLOR=${noColor}`).toBe(false)
        expect(run.stderr).toBe("")
      }
    }
  })

  it("describes every option and argument of every command in words of its own", () => {
    const { home } = sandbox()
    const commands = allCommands(home)
    expect(commands.length).toBeGreaterThanOrEqual(14)
    for (const command of commands) {
      const run = runVictor([...command, "--help"], { home })
      const name = ["victor", ...command].join(" ")
      expect(run.code, name).toBe(0)
      for (const boilerplate of ["A user-defined piece of text", "An integer.", "A true or false value.", "$ "]) {
        expect(run.stdout, `${name}: ${boilerplate}`).not.toContain(boilerplate)
      }
      // Each entry of the lists is a term line followed by at least one line of description.
      for (const section of ["Arguments:", "Options:"]) {
        const list = run.stdout.split(`${section}\n`)[1]?.split("\n\n")[0]
        if (list === undefined) continue
        const lines = list.split("\n")
        lines.forEach((line, i) => {
          if (/^ {2}\S/.test(line)) expect(lines[i + 1] ?? "", `${name}: ${line}`).toMatch(/^ {6}\S/)
        })
      }
    }
  })

  it("starts with the full usage line of the command", () => {
    const { home } = sandbox()
    const usage = (args: ReadonlyArray<string>) => runVictor(args, { home }).stdout.split("\n")[0]
    expect(usage(["workflow", "trace", "--help"])).toBe("Usage: victor workflow trace <workflow.yaml> [options]")
    expect(usage(["workflow", "validate", "--help"])).toBe("Usage: victor workflow validate <workflow.yaml> [options]")
    expect(usage(["trace", "show", "--help"])).toBe("Usage: victor trace show [<trace>] [options]")
    expect(usage(["trace", "compare", "--help"])).toBe("Usage: victor trace compare <trace> [<trace>] [options]")
    expect(usage(["trace", "--help"])).toBe("Usage: victor trace <command>")
    expect(usage(["--help"])).toBe("Usage: victor <command>")
    // A group given no command shows its help.
    expect(usage(["workflow"])).toBe("Usage: victor workflow <command>")
  })

  it("--version prints the version alone", () => {
    const { home } = sandbox()
    const run = runVictor(["--version"], { home })
    expect(run.code).toBe(0)
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/)
  })
})

describe("argument errors are one line that names the option or command; exit 2", () => {
  const expectError = (args: ReadonlyArray<string>, line: string) => {
    const { home } = sandbox()
    const run = runVictor(args, { home })
    expect(run.code, args.join(" ")).toBe(2)
    expect(run.stdout).toBe("")
    expect(run.stderr).toBe(`${line}\n`)
  }

  it("-o without a value", () => {
    expectError(["workflow", "trace", "wf.yaml", "-o"], "victor: -o needs a value, e.g. -o trace.json")
    expectError(["workflow", "trace", "-o"], "victor: -o needs a value, e.g. -o trace.json")
    expectError(["workflow", "trace", "wf.yaml", "--output"], "victor: --output needs a value, e.g. -o trace.json")
  })

  it("an unknown command, with the nearest one", () => {
    expectError(["trace", "lst"], "victor: unknown command 'lst' for 'victor trace'; did you mean 'list'?")
    expectError(["workflow", "trce", "wf.yaml"], "victor: unknown command 'trce' for 'victor workflow'; did you mean 'trace'?")
    expectError(["frobnicate"], "victor: unknown command 'frobnicate' for 'victor'; its commands are workflow, trace, ui")
  })

  it("an unknown option, an invalid value, a missing argument", () => {
    expectError(
      ["workflow", "trace", "wf.yaml", "--outptu", "x.json"],
      "victor: unknown option '--outptu' for 'victor workflow trace'; did you mean '--output'?"
    )
    expectError(
      ["workflow", "trace", "wf.yaml", "--concurrency", "many"],
      "victor: --concurrency needs a whole number, not 'many'; e.g. --concurrency 8"
    )
    expectError(
      ["workflow", "trace", "wf.yaml", "--capture", "ful"],
      "victor: --capture is one of full, preview, none, not 'ful'; did you mean 'full'?"
    )
    expectError(
      ["workflow", "trace"],
      "victor: 'victor workflow trace' needs <workflow.yaml>; usage: victor workflow trace <workflow.yaml> [options]"
    )
    expectError(
      ["workflow", "trace", "a.yaml", "b.yaml"],
      "victor: unexpected argument 'b.yaml' for 'victor workflow trace'; usage: victor workflow trace <workflow.yaml> [options]"
    )
  })
})

describe("workflow validate", () => {
  it("checks every workflow of a file that defines several, naming each one's findings", () => {
    const { home } = sandbox()
    const file = join(home, "library.yaml")
    writeFileSync(file, [
      "workflows:",
      "  tidy:",
      "    nodes:",
      "      - { id: a, type: transform, transform: x = 1 }",
      "  broken:",
      "    nodes:",
      "      - { id: b, type: compute, tools: [no_such_tool], inputs: {} }",
      "  sloppy:",
      "    nodes:",
      "      - { id: c, type: transform, transform: y = 2, colour: blue }"
    ].join("\n"))
    const run = runVictor(["workflow", "validate", file, "--strict"], { home })
    expect(run.code).toBe(2)
    expect(run.stdout).toContain(`${file}: workflow 'tidy' is valid (1 nodes)`)
    expect(run.stderr).toMatch(new RegExp(`^error: workflow 'broken': .*no_such_tool`, "m"))
    expect(run.stderr).toMatch(new RegExp(`^warning: workflow 'sloppy': .*colour`, "m"))
    expect(run.stderr).toContain(`victor: ${file}: 2 of 3 workflows ('broken', 'sloppy') have problems`)
    expect(run.stderr).not.toContain("--workflow")

    // --workflow narrows it to one.
    const one = runVictor(["workflow", "validate", file, "--workflow", "tidy"], { home })
    expect(one.code).toBe(0)
    expect(one.stdout.trim()).toBe(`${file}: workflow 'tidy' is valid (1 nodes)`)
    expect(one.stderr).toBe("")
  })

  it("a directory as the workflow file is one clean line, exit 2", () => {
    const { home } = sandbox()
    const dir = join(home, "flows")
    mkdirSync(dir)
    writeFileSync(join(dir, "review.yaml"), "nodes:\n  - { id: a, type: transform, transform: x = 1 }\n")
    for (const command of ["validate", "trace"]) {
      const run = runVictor(["workflow", command, dir], { home })
      expect(run.code, command).toBe(2)
      expect(run.stderr, command).toBe(
        `victor: ${dir} is a directory, not a workflow file; give a workflow file in it, e.g. ${dir}/review.yaml\n`
      )
    }
  })
})
