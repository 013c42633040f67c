/**
 * `victor workflow validate <file>`: load a workflow (and the sub-workflows it runs) and check it without running
 * anything. Errors (a broken reference, an unknown tool or compute handler, a node kind that is not supported, a cycle
 * of sub-workflows) and warnings (an unreachable node, a loop without an exit, a condition that names no registered
 * condition, an unknown field, `next` with several targets) are all reported with file, line, column and node; any of
 * them makes the exit code 2, so the command can gate CI. `trace` and `run` print the loader's warnings but go on.
 * Messages name nodes and workflows from the file, so they are escaped for the terminal (`TerminalText`).
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { UsageError } from "./CliError.ts"
import * as TerminalText from "./TerminalText.ts"
import * as WorkflowInput from "./WorkflowInput.ts"

/** The option values of `workflow validate`. */
export interface ValidateCommandOptions {
  readonly file: string
  readonly workflow: string | undefined
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? "" : "s"}`

/**
 * Validates the workflow; fails with `UsageError` when it has any error or warning. Warnings and all errors but the
 * first are printed as they are found; the first error is the command's own error line.
 */
export const run = (
  options: ValidateCommandOptions
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Effect.gen(function*() {
    const workflow = yield* WorkflowInput.load(options.file, options.workflow)
    // The conditions and handlers of the FunctionRegistry in context (the built-in ones unless a plugin adds more).
    const findings = yield* WorkflowValidation.check(workflow).pipe(Effect.provide(ToolRegistry.layerBuiltin))
    const errors = WorkflowValidation.errors(findings)
    const warnings = findings.filter((f) => f.severity === "warning")
    for (const warning of warnings) yield* Console.error(`warning: ${TerminalText.escape(warning.message)}`)
    for (const error of errors.slice(1)) yield* Console.error(`error: ${TerminalText.escape(error.message)}`)
    // The first error (or the count of warnings) is the command's error line, which main.ts escapes.
    const first = errors[0]
    if (first !== undefined) {
      const more = errors.length > 1 || warnings.length > 0
        ? ` (${plural(errors.length, "error")}, ${plural(warnings.length, "warning")} in all)`
        : ""
      return yield* new UsageError({ description: `${first.message}${more}` })
    }
    if (warnings.length > 0) {
      return yield* new UsageError({
        description: `${options.file}: workflow '${workflow.name}' has ${plural(warnings.length, "warning")}`
      })
    }
    const subs = Object.keys(workflow.subWorkflows ?? {}).length
    yield* Console.log(
      TerminalText.escape(
        `${options.file}: workflow '${workflow.name}' is valid (${workflow.nodes.length} nodes${
          subs === 0 ? "" : `, ${plural(subs, "sub-workflow")}`
        })`
      )
    )
  })
