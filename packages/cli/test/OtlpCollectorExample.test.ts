// The no-Docker path of examples/otlp-collector works as its README says: print-receiver.mjs receives a run pushed
// with `--otlp` over OTLP/JSON and prints its span tree; protobuf gets the 415 that names the variable to set.
import { spawn } from "node:child_process"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { quickWorkflow, repoRoot, runVictor, sandbox } from "./setup/runVictor.ts"

const receivers: Array<ReturnType<typeof spawn>> = []
afterEach(() => {
  for (const receiver of receivers.splice(0)) receiver.kill("SIGTERM")
})

const startReceiver = async () => {
  const child = spawn(process.execPath, [join(repoRoot, "examples", "otlp-collector", "print-receiver.mjs"), "0"], {
    stdio: ["ignore", "pipe", "inherit"]
  })
  receivers.push(child)
  let output = ""
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk))
  const url = await new Promise<string>((resolve, reject) => {
    const poll = setInterval(() => {
      const match = /listening on (\S+)/.exec(output)
      if (match !== null) {
        clearInterval(poll)
        resolve(match[1]!)
      }
    }, 20)
    child.once("exit", () => reject(new Error(`receiver exited: ${output}`)))
  })
  const printed = async (text: string) => {
    for (let i = 0; i < 250 && !output.includes(text); i++) await new Promise((r) => setTimeout(r, 20))
    return output
  }
  return { url, printed }
}

describe("examples/otlp-collector/print-receiver.mjs", () => {
  it("prints the span tree of a run pushed as OTLP/JSON", async () => {
    const receiver = await startReceiver()
    const { home } = sandbox()
    const workflow = quickWorkflow(home, "shown", "echo hi")
    const run = runVictor(["workflow", "trace", workflow, "--otlp", receiver.url], {
      home,
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_SERVICE_NAME: "example-check" }
    })
    expect(run.stderr).not.toContain("not yet pushed")
    expect(run.code).toBe(0)
    const output = await receiver.printed("execute_tool shell")
    expect(output).toContain("service example-check: 3 spans")
    expect(output).toMatch(/\n  invoke_workflow shown {2}[\d.]+ ms\n.*\n {4}compute step {2}[\d.]+ ms\n/)
    expect(output).toContain("      execute_tool shell")
    expect(output).toContain("gen_ai.tool.name=shell")
  })

  it("refuses protobuf with a 415 that names the variable, and the run still succeeds", async () => {
    const receiver = await startReceiver()
    const { home } = sandbox()
    const workflow = quickWorkflow(home, "proto", "echo hi")
    const run = runVictor(["workflow", "trace", workflow, "--otlp", receiver.url], { home })
    expect(run.code).toBe(0)
    expect(run.stderr).toContain("HTTP 415")
    expect(run.stderr).toContain("OTEL_EXPORTER_OTLP_PROTOCOL=http/json")
  })
})
