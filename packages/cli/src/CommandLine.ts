/**
 * Runs the `victor` command tree on a command line. @effect/cli parses the arguments and the command's handler runs
 * as with `Command.run`; what `Command.run` would print itself is printed here instead. Help (`--help`, or a group
 * such as `victor trace` given no command) is `Help`'s page on stdout. A command line that does not parse is one line
 * from `ArgumentErrors`, as a `UsageError` (so `victor: ...` on stderr, exit code 2). `--version` prints the version;
 * the other built-in options (`--completions`, `--log-level`, `--wizard`) are left to `Command.run`.
 */
import type * as CliApp from "@effect/cli/CliApp"
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ArgumentErrors from "./ArgumentErrors.ts"
import { UsageError } from "./CliError.ts"
import * as Help from "./Help.ts"

/** What `run` needs besides the command: the tree that help walks (`Help.tree`) and the version. */
export interface RunOptions {
  readonly tree: Help.Tree
  readonly version: string
  /** Rewrites the arguments before anything reads them (an option whose value may be left out, `--otlp`). */
  readonly preprocess?: (args: ReadonlyArray<string>) => ReadonlyArray<string>
}

/**
 * Runs `command` on `process.argv`-style arguments (the first two, the runtime and the script, are skipped). Fails
 * with `UsageError` when they do not parse, and with what the command's handler fails with.
 */
export const run = <Name extends string, R, E, A>(
  command: Command.Command<Name, R, E, A>,
  options: RunOptions
) =>
(line: ReadonlyArray<string>): Effect.Effect<void, E | UsageError, R | CliApp.CliApp.Environment> =>
  Effect.gen(function*() {
    const args = options.preprocess === undefined ? line.slice(2) : options.preprocess(line.slice(2))
    const argv = [...line.slice(0, 2), ...args]
    const help = Effect.sync(() => {
      const { node, path } = Help.locate(options.tree, args)
      return Help.render(Help.page(node, path), Help.styleFor(process.stdout, process.env))
    }).pipe(Effect.flatMap(Console.log))
    const usageError = (problem: ArgumentErrors.Problem) =>
      new UsageError({ description: ArgumentErrors.describe(options.tree, args, problem) })

    const early = ArgumentErrors.precheck(options.tree, args)
    if (early !== undefined) return yield* new UsageError({ description: early })
    const parsed = yield* Effect.either(
      Descriptor.parse(command.descriptor, [options.tree.name, ...args], CliConfig.defaultConfig)
    )
    if (Either.isLeft(parsed)) return yield* usageError({ _tag: "Error", error: parsed.left })
    const directive = parsed.right
    if (directive._tag === "BuiltIn") {
      switch (directive.option._tag) {
        case "ShowHelp":
          return yield* help
        case "ShowVersion":
          return yield* Console.log(options.version)
        default:
          return yield* Command.run(command, { name: options.tree.name, version: options.version })(argv).pipe(
            Effect.catchIf(
              (error: unknown) => ValidationError.isValidationError(error),
              (error) => usageError({ _tag: "Error", error: error as ValidationError.ValidationError })
            )
          )
      }
    }
    const [leftover] = directive.leftover
    if (leftover !== undefined) return yield* usageError({ _tag: "Leftover", argument: leftover })
    // A command without a handler of its own (a group given no command) asks for its help.
    return yield* command.transform(command.handler(directive.value), directive.value).pipe(
      Effect.catchSome((error: unknown) =>
        ValidationError.isValidationError(error) && ValidationError.isHelpRequested(error)
          ? Option.some(help)
          : Option.none()
      )
    )
  })
