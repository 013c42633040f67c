/**
 * `victor workflow validate <file>`: load a workflow (and the sub-workflows it runs) and check it without running
 * anything. Errors (a broken reference, an unknown tool or compute handler, a node kind that is not supported, a cycle
 * of sub-workflows) and warnings (an unreachable node, a loop without an exit, a condition that names no registered
 * condition, an unknown field, `next` with several targets) are all reported with file, line, column and node; any of
 * them makes the exit code 2, so the command can gate CI. `trace` and `run` print the loader's warnings but go on.
 * Messages name nodes and workflows from the file, so they are escaped for the terminal (`TerminalText`).
 *
 * A file that defines several workflows (under `workflows:`) has each of them checked, unless `--workflow` names one:
 * every finding is printed with the name of the workflow it belongs to (once, when workflows share a sub-workflow),
 * each valid workflow gets its line on stdout, and the command's error line counts the workflows with problems.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import type * as WorkflowDefinition from "@victor/workflow/WorkflowDefinition"
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
 * Validates the workflow (every workflow of a file that defines several, unless one is named); fails with
 * `UsageError` when there is any error or warning. For one workflow, warnings and all errors but the first are
 * printed as they are found and the first error is the command's own error line; for several, every finding is
 * printed and the error line counts the workflows with problems.
 */
export const run = (
  options: ValidateCommandOptions
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Effect.gen(function*() {
    const names = options.workflow === undefined ? yield* WorkflowInput.workflowNames(options.file) : undefined
    return yield* names !== undefined && names.length > 1
      ? validateEach(options.file, names)
      : validateOne(options.file, options.workflow)
  })

// The conditions and handlers of the FunctionRegistry in context (the built-in ones unless a plugin adds more).
const check = (workflow: WorkflowDefinition.WorkflowDefinition) =>
  WorkflowValidation.check(workflow).pipe(Effect.provide(ToolRegistry.layerBuiltin))

const validLine = (file: string, workflow: WorkflowDefinition.WorkflowDefinition): string => {
  const subs = Object.keys(workflow.subWorkflows ?? {}).length
  return TerminalText.escape(
    `${file}: workflow '${workflow.name}' is valid (${workflow.nodes.length} nodes${
      subs === 0 ? "" : `, ${plural(subs, "sub-workflow")}`
    })`
  )
}

/** Checks every workflow of a file that defines several, reporting each one's findings under its name. */
const validateEach = (
  file: string,
  names: ReadonlyArray<string>
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Effect.gen(function*() {
    const printed = new Set<string>()
    const withProblems: Array<string> = []
    let errorCount = 0
    let warningCount = 0
    for (const name of names) {
      const report = (severity: WorkflowValidation.Severity, message: string) => {
        if (printed.has(`${severity}:${message}`)) return Effect.void
        printed.add(`${severity}:${message}`)
        if (severity === "error") errorCount++
        else warningCount++
        return Console.error(TerminalText.escape(`${severity}: workflow '${name}': ${message}`))
      }
      const loaded = yield* Effect.either(WorkflowInput.load(file, name))
      if (loaded._tag === "Left") {
        withProblems.push(name)
        yield* report("error", loaded.left.message)
        continue
      }
      const findings = yield* check(loaded.right)
      for (const finding of findings) yield* report(finding.severity, finding.message)
      if (findings.length === 0) yield* Console.log(validLine(file, loaded.right))
      else withProblems.push(name)
    }
    if (withProblems.length > 0) {
      return yield* new UsageError({
        description: `${file}: ${withProblems.length} of ${names.length} workflows ` +
          `(${withProblems.map((name) => `'${name}'`).join(", ")}) ${withProblems.length === 1 ? "has" : "have"} ` +
          `problems (${plural(errorCount, "error")}, ${plural(warningCount, "warning")} in all)`
      })
    }
  })

/** Checks one workflow: the file's only one, or the one `--workflow` names. */
const validateOne = (
  file: string,
  name: string | undefined
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Effect.gen(function*() {
    const workflow = yield* WorkflowInput.load(file, name)
    const findings = yield* check(workflow)
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
        description: `${file}: workflow '${workflow.name}' has ${plural(warnings.length, "warning")}`
      })
    }
    yield* Console.log(validLine(file, workflow))
  })
