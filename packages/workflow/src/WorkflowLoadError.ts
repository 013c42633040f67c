/**
 * The error of a workflow that cannot be loaded or would not run: a module of its own, so that the executor and
 * validation can report an invalid workflow without depending on the loader (and its YAML parser).
 * `WorkflowLoader` re-exports it.
 */
import * as Schema from "effect/Schema"

/** Why a workflow could not be loaded. */
export const WorkflowLoadErrorReason = Schema.Literal(
  "NotFound",
  "Unreadable",
  "Syntax",
  "Invalid",
  "Unsupported",
  "UnknownWorkflow"
)

/** A workflow file could not be loaded; the message is `path:line:column: description; hint`. */
export class WorkflowLoadError extends Schema.TaggedError<WorkflowLoadError>()("WorkflowLoadError", {
  reason: WorkflowLoadErrorReason,
  path: Schema.String,
  line: Schema.optional(Schema.Number),
  column: Schema.optional(Schema.Number),
  nodeId: Schema.optional(Schema.String),
  description: Schema.String,
  /** How to fix it, when there is an obvious way. */
  hint: Schema.optional(Schema.String),
  /** For `UnknownWorkflow` in a file that defines several under `workflows:`: their names, in file order. */
  workflows: Schema.optional(Schema.Array(Schema.String))
}) {
  override get message(): string {
    return `${location(this.path, this.line, this.column)}: ${this.description}${
      this.hint === undefined ? "" : `; ${this.hint}`
    }`
  }
}

/** `path:line:column`, leaving out what is unknown. */
export const location = (path: string, line: number | undefined, column: number | undefined): string =>
  line === undefined ? path : column === undefined ? `${path}:${line}` : `${path}:${line}:${column}`
