/**
 * Writes schema/workflow-trace.schema.json from the WorkflowTrace Schema (the single source of truth).
 * Run with `pnpm schema:generate`; a test fails when the committed file drifts from the Schema.
 */
import { writeFileSync } from "node:fs"
import { renderJsonSchema, schemaPath } from "../src/TraceJsonSchema.ts"

writeFileSync(schemaPath(import.meta.dirname), renderJsonSchema())
console.log(`wrote ${schemaPath(import.meta.dirname)}`)
