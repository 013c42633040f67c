/**
 * The JSON Schema of trace files, generated from the `WorkflowTrace` Schema. It describes the encoded (wire) form,
 * with the guide's snake_case keys; the committed copy lives in `schema/workflow-trace.schema.json`.
 */
import * as JSONSchema from "effect/JSONSchema"
import * as Schema from "effect/Schema"
import { WorkflowTrace } from "./WorkflowTrace.ts"

/** The JSON Schema object of a trace file. */
export const make = (): JSONSchema.JsonSchema7Root => ({
  ...JSONSchema.make(Schema.encodedSchema(WorkflowTrace)),
  title: "Victor workflow trace"
})

/** The JSON Schema as the committed file's text. */
export const renderJsonSchema = (): string => `${JSON.stringify(make(), null, 2)}\n`

/** Where the committed copy lives, given the directory of a script or test inside the core package. */
export const schemaPath = (fromDirectory: string): string =>
  `${fromDirectory.replace(/[\\/](scripts|test|src)$/, "")}/schema/workflow-trace.schema.json`
