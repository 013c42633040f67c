// Secrets reach no sink: with an API key in the environment echoed by a failing tool, a password in a URL and
// secret-named context keys, not one byte of the secrets is in the store, the exports, the event stream, stdout or
// stderr of any command.
import { describe, expect, it } from "@effect/vitest"
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { runVictor, sandbox } from "../setup/runVictor.ts"

const apiKey = "sk-test-CANARY-0123456789abcdef"
const dbPassword = "dbpass-CANARY-42"
const contextPassword = "ctx-pass-CANARY-77"
const contextKey = "ctx-key-CANARY-88"
const secrets = [apiKey, apiKey.toUpperCase(), dbPassword, contextPassword, contextKey]

/** Every file below a directory, read whole. */
const filesBelow = (dir: string): Array<[string, string]> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesBelow(path) : [[path, readFileSync(path, "latin1")] as [string, string]]
  })

const expectNoSecret = (where: string, text: string) => {
  for (const secret of secrets) expect(text.includes(secret), `${where} holds ${secret}`).toBe(false)
}

describe("hostile values: secrets", () => {
  it("reach no byte of the store, exports, event stream, stdout or stderr", () => {
    const { home, traceDir } = sandbox()
    const cwd = join(home, "project")
    mkdirSync(cwd)
    writeFileSync(join(cwd, "wf.yaml"), [
      "workflows:",
      "  leaky:",
      "    nodes:",
      "      - id: show",
      "        type: compute",
      "        tools: [shell]",
      "        inputs: { command: 'echo \"$DATABASE_URL\"; echo \"$OPENAI_API_KEY\" | tr a-z A-Z; echo {nested}' }",
      "      - id: fail",
      "        type: compute",
      "        tools: [shell]",
      "        inputs: { command: 'echo \"auth failed for $OPENAI_API_KEY\" >&2; exit 3' }"
    ].join("\n"))
    const env = { OPENAI_API_KEY: apiKey, DATABASE_URL: `postgres://app:${dbPassword}@localhost:5432/app` }
    const context = JSON.stringify({ password: contextPassword, nested: { api_key: contextKey, user: "ann" } })
    const outputs = ["out.json", "out.csv", "out.html"]
    const runs = outputs.map((output) =>
      runVictor(
        ["workflow", "trace", "wf.yaml", "--trace-dir", traceDir, "--events", "ndjson", "-o", output, "--context", context],
        { home, cwd, env }
      )
    )
    for (const run of runs) {
      expect(run.code).toBe(1)
      // The event stream reported the failure, redacted.
      expect(run.stdout).toContain("tool_call_failed")
      expect(run.stdout).toContain("[REDACTED]")
      expectNoSecret("stdout", run.stdout)
      expectNoSecret("stderr", run.stderr)
    }
    const later = [
      runVictor(["trace", "list", "--trace-dir", traceDir], { home, cwd, env }),
      runVictor(["trace", "show", "last", "--trace-dir", traceDir], { home, cwd, env }),
      runVictor(["trace", "export", "last", "-o", "again.json", "--trace-dir", traceDir], { home, cwd, env }),
      runVictor(["trace", "analyze", "last", "--trace-dir", traceDir], { home, cwd, env })
    ]
    for (const run of later) {
      expectNoSecret("stdout", run.stdout)
      expectNoSecret("stderr", run.stderr)
    }
    for (const [path, text] of [...filesBelow(traceDir), ...filesBelow(cwd)]) expectNoSecret(path, text)
    // What was redacted is still there as a marker, user and host of the URL kept.
    const trace = readFileSync(join(cwd, "out.json"), "utf8")
    expect(trace).toContain("postgres://app:[REDACTED]@localhost:5432/app")
    expect(JSON.parse(trace).inputs).toEqual({ password: "[REDACTED]", nested: { api_key: "[REDACTED]", user: "ann" } })
  })
})
