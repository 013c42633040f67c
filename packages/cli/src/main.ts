/**
 * The `victor` executable: runs the command tree with Node's platform layers, prints any error as one line on
 * stderr (no stack traces), and exits with the code that says what happened (see `CliError.ExitCode`). Command
 * handlers run with a Console that escapes control and bidi characters (`TerminalText`), behind the escaping each
 * command does itself; @effect/cli's own help, which is ours and coloured, is printed outside them and unchanged.
 */
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Cli from "./Cli.ts"
import { ExitCode } from "./CliError.ts"
import * as TerminalText from "./TerminalText.ts"

// The root's handler dispatches to every subcommand's, so this wraps them all; help is printed outside handlers.
const run = Command.run(Command.transformHandler(Cli.victor, TerminalText.withEscapedConsole), {
  name: "victor",
  version: Cli.VERSION
})

const program: Effect.Effect<number, never, NodeContext.NodeContext> = run(process.argv).pipe(
  Effect.as(ExitCode.Success as number),
  Effect.catchAll((error): Effect.Effect<number> => {
    if (typeof error === "object" && error !== null && "_tag" in error) {
      if (error._tag === "WorkflowFailed") return Effect.succeed(ExitCode.WorkflowFailed)
      if (error._tag === "UsageError") {
        return Effect.as(Console.error(`victor: ${TerminalText.escape(error.message)}`), ExitCode.Usage)
      }
      // @effect/cli has already printed what was wrong with the arguments.
      if (ValidationError.isValidationError(error)) return Effect.succeed(ExitCode.Usage)
    }
    // Not expected from the command tree's types; reported rather than lost if it happens.
    const unexpected: unknown = error
    const message = unexpected instanceof Error ? unexpected.message : String(unexpected)
    return Effect.as(Console.error(`victor: ${TerminalText.escape(message)}`), ExitCode.Internal)
  }),
  Effect.catchAllDefect((defect) =>
    Effect.as(
      Console.error(
        TerminalText.escape(
          `victor: internal error: ${defect instanceof Error ? defect.message : String(defect)}` +
            (process.env["VICTOR_DEBUG"] ? `\n${Cause.pretty(Cause.die(defect))}` : " (set VICTOR_DEBUG=1 for details)")
        )
      ),
      ExitCode.Internal
    )
  )
)

NodeRuntime.runMain(program.pipe(Effect.provide(NodeContext.layer)), {
  disableErrorReporting: true,
  teardown: (exit, onExit) => {
    // Interrupted by SIGINT/SIGTERM: 130 like a shell; otherwise the code the program computed.
    onExit(Exit.isSuccess(exit) && typeof exit.value === "number" ? exit.value : Exit.isInterrupted(exit) ? 130 : ExitCode.Internal)
  }
})
