/**
 * The `test_runner` compute handler (`handler: test_runner`): runs each of its `commands` with the node's `shell`
 * tool, through the `HandlerTools` it is given, so every command is a traced tool call of the node. A command passes
 * when it exits with 0; the node's output counts them, and a failing command fails the tests, not the node.
 */
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"

/** One command's result. */
export interface CommandResult {
  readonly command: string
  readonly passed: boolean
  readonly error?: string
}

const invalid = (description: string) =>
  new ToolRegistry.ToolError({ reason: "InvalidInput", tool: "test_runner", description })

/** The handler: `{ commands: [...] }` in, `{ total, passed, failed, results }` out. */
export const handler: FunctionRegistry.ComputeHandler = (inputs, _state, tools) =>
  Effect.gen(function*() {
    const commands = inputs["commands"]
    if (!Array.isArray(commands) || commands.length === 0 || commands.some((command) => typeof command !== "string")) {
      return yield* invalid("`commands` must be a non-empty list of shell commands")
    }
    const results: Array<CommandResult> = []
    for (const command of commands as ReadonlyArray<string>) {
      const outcome = yield* Effect.either(tools.call("shell", { command }))
      results.push(
        Either.isRight(outcome) ? { command, passed: true } : { command, passed: false, error: outcome.left.message }
      )
    }
    const passed = results.filter((result) => result.passed).length
    return { total: results.length, passed, failed: results.length - passed, results }
  })
