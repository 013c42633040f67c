/**
 * The `victor` command line (see `main.ts`): runs the command tree with Node's platform layers (`CommandLine`), prints any error as
 * one line on stderr (no stack traces), and exits with the code that says what happened (see `CliError.ExitCode`;
 * after SIGINT, SIGTERM or SIGHUP, 128 + the signal's number, see `Signals`). Command handlers run with a Console
 * that escapes control and bidi characters (`TerminalText`), behind the escaping each command does itself.
 *
 * The error report runs uninterruptibly after the command has ended: a run cancelled by a signal still says what
 * went wrong while it finished (an export that could not be written, a trace that could not be stored).
 */
import * as Command from "@effect/cli/Command"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Cli from "./Cli.ts"
import { ExitCode } from "./CliError.ts"
import * as CommandLine from "./CommandLine.ts"
import * as NodePlatform from "./NodePlatform.ts"
import * as Signals from "./Signals.ts"
import * as TerminalText from "./TerminalText.ts"

// The root's handler dispatches to every subcommand's, so this wraps them all; help is printed outside handlers.
const run = CommandLine.run(Command.transformHandler(Cli.victor, TerminalText.withEscapedConsole), {
  tree: Cli.tree,
  version: Cli.VERSION,
  preprocess: Cli.preprocess
})

/** The exit code of how the command ended, after printing what went wrong. */
const report = (exit: Exit.Exit<void, unknown>): Effect.Effect<number> => {
  if (Exit.isSuccess(exit)) return Effect.succeed(ExitCode.Success)
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (typeof error === "object" && error !== null && "_tag" in error) {
      if (error._tag === "WorkflowFailed") return Effect.succeed(ExitCode.WorkflowFailed)
      if (error._tag === "PushFailed") return Effect.succeed(ExitCode.PushFailed)
      if (error._tag === "UsageError" && error instanceof Error) {
        return Effect.as(Console.error(`victor: ${TerminalText.escape(error.message)}`), ExitCode.Usage)
      }
    }
    // Not expected from the command tree's types; reported rather than lost if it happens.
    const message = error instanceof Error ? error.message : String(error)
    return Effect.as(Console.error(`victor: ${TerminalText.escape(message)}`), ExitCode.Internal)
  }
  const defect = Cause.dieOption(exit.cause)
  if (Option.isSome(defect)) {
    const value = defect.value
    return Effect.as(
      Console.error(
        TerminalText.escape(
          `victor: internal error: ${value instanceof Error ? value.message : String(value)}` +
            (process.env["VICTOR_DEBUG"] ? `\n${Cause.pretty(exit.cause)}` : " (set VICTOR_DEBUG=1 for details)")
        )
      ),
      ExitCode.Internal
    )
  }
  // Interrupted only: by a signal, whose exit code `Signals` uses.
  return Effect.succeed(Signals.exitCode("SIGINT"))
}

// The pretty logger in place of the default one, as `NodeRuntime.runMain` installs it.
const program: Effect.Effect<number> = Effect.uninterruptibleMask((restore) =>
  Effect.flatMap(Effect.exit(restore(run(process.argv))), report)
).pipe(Effect.provide(Layer.merge(NodePlatform.layer, Logger.pretty)))

Signals.runMain(program, ExitCode.Internal)
