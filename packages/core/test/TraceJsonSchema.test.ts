import { describe, expect, it } from "@effect/vitest"
import * as TraceJsonSchema from "@victor/core/TraceJsonSchema"
import { readFileSync } from "node:fs"

describe("TraceJsonSchema", () => {
  it("the committed JSON Schema matches the WorkflowTrace Schema (run `pnpm schema:generate` after a change)", () => {
    const committed = readFileSync(TraceJsonSchema.schemaPath(import.meta.dirname), "utf8")
    expect(committed).toBe(TraceJsonSchema.renderJsonSchema())
  })

  it("describes the guide's snake_case wire format", () => {
    const schema = TraceJsonSchema.make() as { properties: Record<string, unknown>; required: Array<string> }
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining([
      "trace_id", "workflow_name", "start_time", "end_time", "duration_seconds", "inputs", "outputs", "metadata", "nodes"
    ]))
    expect(schema.required).toEqual(["trace_id", "workflow_name", "start_time"])
  })
})
