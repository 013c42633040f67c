/**
 * Where a command's warnings go: one `victor: warning: ...` line each on stderr, escaped for the terminal. stdout is
 * for what was asked (`--json`, `--events ndjson`, `-o -`, a table), and Effect's own loggers write there (the default
 * one, and the pretty one the runtime installs in its place), so every command that opens the store or runs a
 * workflow runs with this layer instead (a skipped or quarantined file, a trace handler that failed).
 */
import * as Cause from "effect/Cause"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as TerminalText from "../TerminalText.ts"

const warningLogger = Logger.make(({ cause, logLevel, message }) => {
  if (logLevel._tag !== "Warning" && logLevel._tag !== "Error" && logLevel._tag !== "Fatal") return
  let text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
  if (!Cause.isEmpty(cause)) {
    const first = Cause.pretty(cause).split("\n", 1)[0]?.trim()
    if (first !== undefined && first.length > 0) text += `: ${first}`
  }
  // Written directly, past the escaping Console: the file names and messages in it come from the store directory.
  process.stderr.write(`victor: warning: ${TerminalText.escape(text)}\n`)
})

/** Warnings (and errors) on stderr only; Effect's default and pretty loggers, which write to stdout, removed. */
export const layer: Layer.Layer<never> = Layer.mergeAll(
  Logger.replace(Logger.defaultLogger, warningLogger),
  Logger.replace(Logger.prettyLoggerDefault, warningLogger)
)
