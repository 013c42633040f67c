/**
 * Errors the CLI reports to the user as one line, with the exit code that says what kind of failure it was:
 * 2 for bad input or usage (nothing ran), 1 for a workflow that ran and failed (or a trace a collector did not
 * take). A command a signal cancelled exits with 128 + the signal's number instead (130 for SIGINT, 143 for SIGTERM,
 * 129 for SIGHUP; see `Signals`).
 */
import * as Schema from "effect/Schema"

/** Exit codes of `victor`. */
export const ExitCode = {
  /** The workflow ran and succeeded. */
  Success: 0,
  /** The workflow ran and a node failed. */
  WorkflowFailed: 1,
  /** `victor trace push`: a collector did not take a trace (it stays pending). */
  PushFailed: 1,
  /** Bad input: a missing or malformed file, an invalid option value. Nothing ran. */
  Usage: 2,
  /** Victor itself failed unexpectedly. */
  Internal: 70
} as const

/** Bad input or usage; the message names the file, the place and the fix. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

/** The workflow ran and failed; the summary was already printed. */
export class WorkflowFailed extends Schema.TaggedError<WorkflowFailed>()("WorkflowFailed", {
  status: Schema.String
}) {}

/** `victor trace push`: a collector did not take some traces; each was reported in one line already. */
export class PushFailed extends Schema.TaggedError<PushFailed>()("PushFailed", {
  traces: Schema.Number
}) {}
