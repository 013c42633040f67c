/**
 * `victor trace analyze | compare | stats`: reading traces. Only their arguments and help live here; what they do is
 * imported when one runs, so `--help` stays fast.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as StoreOption from "./StoreOption.ts"

const traceDir = StoreOption.store("Where stored traces are read from")

const json = Options.boolean("json").pipe(
  Options.withDescription(
    "Print the result as JSON (snake_case keys) instead of tables, for scripts and CI. Example: --json | jq .regressions"
  )
)

const analyzeCommand = Command.make(
  "analyze",
  {
    trace: Args.text({ name: "trace" }).pipe(
      Args.withDescription(
        "The trace: a stored trace id, a unique prefix of one, `last` (the newest stored trace), or a trace file " +
          "path with a / or ending in .json (any other file: --file). Example: victor trace analyze last"
      ),
      Args.optional
    ),
    file: Options.text("file").pipe(
      Options.optional,
      Options.withDescription(
        "Analyze this trace file (what -o FILE.json wrote) instead of a stored trace; give it instead of TRACE. " +
          "Example: --file trace.json"
      )
    ),
    json,
    analyzer: Options.text("analyzer").pipe(
      Options.withDefault("analysis"),
      Options.withDescription(
        "Which analyzer plugin to run (default: analysis; installed analyzers are listed when the name is unknown). " +
          "Example: --analyzer analysis"
      )
    ),
    traceDir
  },
  (options) =>
    Effect.flatMap(Effect.promise(() => import("./analysis/AnalyzeCommand.ts")), (command) =>
      command.run({
        trace: Option.getOrUndefined(options.trace),
        file: Option.getOrUndefined(options.file),
        json: options.json,
        analyzer: options.analyzer,
        traceDir: Option.getOrUndefined(options.traceDir)
      }))
).pipe(
  Command.withDescription(
    "Analyze one trace: the guide's totals (duration, nodes, failures, tool calls, slowest nodes, most used tools, " +
      "errors), p50/p95 per node type, each node's self time (its time minus its tool calls and children), the " +
      "critical path through parallel branches, tool failure rates and token use. Exit code 2 for an unknown trace " +
      "or a malformed file. Examples: victor trace analyze last ; victor trace analyze trace.json --json"
  )
)

const compareCommand = Command.make(
  "compare",
  {
    traces: Args.text({ name: "trace" }).pipe(
      Args.between(1, 2),
      Args.withDescription(
        "BASE HEAD: two traces (ids, unique prefixes, `last`, or trace file paths with a / or ending in .json), or " +
          "only HEAD with --baseline. " +
          "Example: victor trace compare baseline.json last"
      )
    ),
    threshold: Options.text("threshold").pipe(
      Options.repeated,
      Options.withDescription(
        "How much a node must slow down to count as a regression: seconds (0.5s, 500ms) or a percentage of its base " +
          "time (20%). Give both to require both; the default is 0.5s. Example: --threshold 0.5s --threshold 20%"
      )
    ),
    failOnRegression: Options.boolean("fail-on-regression").pipe(
      Options.withDescription(
        "Exit with code 1 when any node regressed, naming the nodes on stderr (for CI). Example: --fail-on-regression"
      )
    ),
    baseline: Options.text("baseline").pipe(
      Options.optional,
      Options.withDescription(
        "Compare HEAD with the per-node median of the last N stored runs of HEAD's workflow (started before HEAD) " +
          "instead of a BASE trace. Example: --baseline median:5"
      )
    ),
    output: Options.text("output").pipe(
      Options.withAlias("o"),
      Options.optional,
      Options.withDescription(
        "Also write the comparison to this file: a self-contained HTML report, or JSON when the name ends in .json; " +
          "- writes the HTML report to stdout (the table then goes to stderr). Example: -o diff.html"
      )
    ),
    json,
    traceDir
  },
  (options) =>
    Effect.flatMap(Effect.promise(() => import("./analysis/CompareCommand.ts")), (command) =>
      command.run({
        traces: options.traces,
        thresholds: options.threshold,
        failOnRegression: options.failOnRegression,
        baseline: Option.getOrUndefined(options.baseline),
        output: Option.getOrUndefined(options.output),
        json: options.json,
        traceDir: Option.getOrUndefined(options.traceDir)
      }))
).pipe(
  Command.withDescription(
    "Compare two runs: nodes matched by id and iteration, per-node duration change (seconds and percent), nodes " +
      "added or removed, nodes that started or stopped failing, tool-call count changes, the total change, and the " +
      "nodes that regressed past the thresholds (strictly past every threshold given). Exit code 1 with " +
      "--fail-on-regression when a node regressed, 2 for bad input. Examples: victor trace compare a1b2 last ; " +
      "victor trace compare --baseline median:5 last --threshold 20% --fail-on-regression"
  )
)

const statsCommand = Command.make(
  "stats",
  {
    workflow: Options.text("workflow").pipe(
      Options.optional,
      Options.withDescription("Only runs of this workflow. Example: --workflow code_review")
    ),
    last: Options.integer("last").pipe(
      Options.optional,
      Options.withDescription("Only the N most recent runs (default: all stored runs). Example: --last 50")
    ),
    slow: Options.text("slow").pipe(
      Options.withDefault("2s"),
      Options.withDescription(
        "A node is consistently slow when its average is above this (default 2s, as in the guide). Example: --slow 500ms"
      )
    ),
    json,
    traceDir
  },
  (options) =>
    Effect.flatMap(Effect.promise(() => import("./analysis/StatsCommand.ts")), (command) =>
      command.run({
        workflow: Option.getOrUndefined(options.workflow),
        last: Option.getOrUndefined(options.last),
        slow: options.slow,
        json: options.json,
        traceDir: Option.getOrUndefined(options.traceDir)
      }))
).pipe(
  Command.withDescription(
    "Patterns across stored runs: consistently slow nodes with their average and p95, the most common errors with " +
      "counts, and each node's failure rate. Examples: victor trace stats --workflow code_review --last 50 ; " +
      "victor trace stats --json"
  )
)

/** The analysis commands, in the order `victor trace --help` lists them. */
export const analysisCommands = [analyzeCommand, compareCommand, statsCommand] as const
