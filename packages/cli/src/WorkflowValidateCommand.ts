/**
 * `victor workflow validate <file>`: load a workflow (and the sub-workflows it runs) and check it without running
 * anything. Errors (a broken reference, an unknown tool or compute handler, a node kind that is not supported, a cycle
 * of sub-workflows) and warnings (an unreachable node, a loop without an exit, a condition that names no registered
 * condition, an unknown field, `next` with several targets) are all reported with file, line, column and node; any of
 * errors make the exit code 2, so the command can gate CI; warnings are printed and make it 2 only with `--strict`.
 * `trace` and `run` print the loader's warnings but go on. The plugins `victor.config.json` names are loaded first,
 * so their node kinds load and their handlers, conditions, transforms and tools count as registered. MCP servers
 * configured for the workflow (`mcp_servers` in `victor.config.json` and in the file) are started to learn their
 * tools, so a tool no built-in, plugin or server provides is an error; a server that cannot start is a warning.
 * Messages name nodes and workflows from the file, so they are escaped for the terminal (`TerminalText`).
 *
 * A file that defines several workflows (under `workflows:`) has each of them checked, unless `--workflow` names one:
 * every finding is printed with the name of the workflow it belongs to (once, when workflows share a sub-workflow),
 * each valid workflow gets its line on stdout, and the command's error line counts the workflows with problems.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import type * as WorkflowDefinition from "@victor/workflow/WorkflowDefinition"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { UsageError } from "./CliError.ts"
import * as McpTools from "./McpTools.ts"
import * as TerminalText from "./TerminalText.ts"
import * as VictorConfig from "./VictorConfig.ts"
import * as WorkflowInput from "./WorkflowInput.ts"

/** The option values of `workflow validate`. */
export interface ValidateCommandOptions {
  readonly file: string
  readonly workflow: string | undefined
  /** `--strict`: warnings fail the validation too (exit code 2). */
  readonly strict?: boolean | undefined
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
    const config = yield* VictorConfig.load()
    // The plugins first: the workflow's node kinds and named functions may be theirs.
    const provideFunctions = WorkflowInput.provideFunctions(yield* WorkflowInput.loadPlugins(config))
    const strict = options.strict === true
    if (options.workflow !== undefined) {
      const workflow = yield* provideFunctions(WorkflowInput.load(options.file, options.workflow))
      return yield* provideFunctions(validateOne(options.file, workflow, config, strict))
    }
    const loaded = yield* provideFunctions(WorkflowInput.loadOrList(options.file))
    return yield* provideFunctions(
      "names" in loaded
        ? validateEach(options.file, loaded.names, config, strict)
        : validateOne(options.file, loaded.workflow, config, strict)
    )
  })

// The conditions and handlers of the FunctionRegistry in context (the built-in ones plus the plugins'), and
// the tools of the built-in registry plus the MCP servers configured for the workflow, started for the check and
// stopped after it. A server that cannot start is a warning.
const check = (workflow: WorkflowDefinition.WorkflowDefinition, config: VictorConfig.LoadedConfig) =>
  Effect.scoped(Effect.gen(function*() {
    const servers = yield* McpTools.servers(config, workflow)
    const serverWarnings: Array<WorkflowValidation.Finding> = []
    const context = yield* Layer.build(
      McpTools.layer(servers, {}, [], (message) =>
        Effect.sync(() => {
          const path = workflow.source?.path ?? workflow.name
          serverWarnings.push({ severity: "warning", path, description: message, message: `${path}: ${message}` })
        }))
    )
    const findings = yield* WorkflowValidation.check(workflow).pipe(Effect.provide(context))
    return [...serverWarnings, ...findings]
  }))

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
  names: ReadonlyArray<string>,
  config: VictorConfig.LoadedConfig,
  strict: boolean
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
      const findings = yield* check(loaded.right, config)
      for (const finding of findings) yield* report(finding.severity, finding.message)
      const failing = strict ? findings : WorkflowValidation.errors(findings)
      if (failing.length === 0) yield* Console.log(validLine(file, loaded.right))
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
  workflow: WorkflowDefinition.WorkflowDefinition,
  config: VictorConfig.LoadedConfig,
  strict: boolean
): Effect.Effect<void, UsageError, FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor> =>
  Effect.gen(function*() {
    const findings = yield* check(workflow, config)
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
    if (warnings.length > 0 && strict) {
      return yield* new UsageError({
        description: `${file}: workflow '${workflow.name}' has ${plural(warnings.length, "warning")} (--strict)`
      })
    }
    yield* Console.log(validLine(file, workflow))
  })
