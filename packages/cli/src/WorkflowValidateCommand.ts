/**
 * `victor workflow validate <file>`: load a workflow and check it without running anything. Errors (a broken
 * reference, an unknown tool or handler, a node kind that is not supported) and warnings (an unreachable node, an
 * unknown field, `next` with several targets) are all reported; any of them makes the exit code 2, so the command can
 * gate CI. `trace` and `run` print the same warnings but go on.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { UsageError } from "./CliError.ts"
import * as WorkflowInput from "./WorkflowInput.ts"

/** The option values of `workflow validate`. */
export interface ValidateCommandOptions {
  readonly file: string
  readonly workflow: string | undefined
}

/** Validates the workflow; fails with `UsageError` when it has any error or warning. */
export const run = (
  options: ValidateCommandOptions
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Effect.gen(function*() {
    const workflow = yield* WorkflowInput.load(options.file, options.workflow)
    for (const warning of workflow.warnings) yield* Console.error(`warning: ${warning}`)
    yield* WorkflowInput.checkTools(workflow)
    const count = workflow.warnings.length
    if (count > 0) {
      return yield* new UsageError({
        description: `${options.file}: workflow '${workflow.name}' has ${count} warning${count === 1 ? "" : "s"}`
      })
    }
    yield* Console.log(`${options.file}: workflow '${workflow.name}' is valid (${workflow.nodes.length} nodes)`)
  })
