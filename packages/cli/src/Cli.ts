/**
 * The `victor` command tree. Each command's help explains every option with an example.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { analysisCommands } from "./AnalysisCommands.ts"
import * as Help from "./Help.ts"
import * as OtlpOptions from "./OtlpOptions.ts"
import * as ProviderOptions from "./ProviderOptions.ts"
import { storeCommands } from "./StoreCommands.ts"
import { traceGroup } from "./TraceGroup.ts"
import * as StoreOption from "./StoreOption.ts"
import { uiCommand } from "./ui/UiCommand.ts"

/** The version printed by `victor --version`. */
export { VERSION } from "./Version.ts"

const file = Args.text({ name: "workflow.yaml" }).pipe(
  Args.withDescription("The workflow file (YAML) to run, e.g. examples/workflows/code_review.yaml")
)

const output = Options.text("output").pipe(
  Options.withAlias("o"),
  Options.optional,
  Options.withDescription(
    "Also write the trace to this file (missing directories are created; a file is replaced atomically, a " +
      "symlink's target likewise; /dev/null or a FIFO is written to, never replaced), or to stdout with - (the " +
      "summary then goes to stderr). The format follows the extension unless --format is given. " +
      "Example: -o trace.json, or -o - | jq .status"
  )
)

const format = Options.text("format").pipe(
  Options.optional,
  Options.withDescription(
    "Export format for --output: json, csv, html, otlp (OTLP/JSON, inferred from .otlp.json), or one a plugin in victor.config.json adds (e.g. markdown). " +
      "Without it the format follows the -o extension (.json, .csv, .html, .md ...), else json. " +
      "Example: -o report.html, or --format csv -o nodes.txt"
  )
)

const csvRows = Options.choice("csv-rows", ["nodes", "tools"]).pipe(
  Options.optional,
  Options.withDescription(
    "Rows of the CSV export: nodes (default: one row per node, the guide's columns) or tools (one row per tool " +
      "call, with its node). Example: -o tools.csv --csv-rows tools"
  )
)

const context = Options.text("context").pipe(
  Options.optional,
  Options.withDescription(
    `Initial workflow state as a JSON object; nodes read it as $ctx.key or {key}. Give the JSON itself, @FILE to read ` +
      `it from a file, or - to read it from stdin (for contexts too large for a command line). Examples: ` +
      `--context '{"task": "fix bug"}', --context @context.json, cat context.json | victor workflow trace wf.yaml --context -`
  )
)

const workflow = Options.text("workflow").pipe(
  Options.optional,
  Options.withDescription(
    "Which workflow to run when the file defines several (under `workflows:`). Example: --workflow review"
  )
)

const concurrency = Options.integer("concurrency").pipe(
  Options.optional,
  Options.withDescription(
    "How many children of a parallel node run at the same time (default 4). Example: --concurrency 8"
  )
)

const script = Options.text("script").pipe(
  Options.optional,
  Options.withDescription(
    "Play agent nodes' model turns from this script (JSON or YAML: per node id, a list of turns, each " +
      "`tool_calls: [{name, arguments}]` or `response: text`). A deterministic provider for demos, tests and offline " +
      "regression runs: no model is called, but every tool the script asks for really runs and is traced. " +
      "Example: --script examples/workflows/agent_review.script.yaml"
  )
)

const yes = Options.boolean("yes").pipe(
  Options.withAlias("y"),
  Options.withDescription(
    "Answer human-in-the-loop approvals with yes and other questions with their default, without asking. Answers " +
      `for particular nodes can be given instead in --context. Example: --yes, or --context '{"hitl": {"gate": true}}'`
  )
)

const events = Options.choice("events", ["ndjson"]).pipe(
  Options.optional,
  Options.withDescription(
    "Stream every execution event to stdout as it happens, one JSON object per line (the summary then goes to " +
      "stderr). Example: --events ndjson | jq -c 'select(.event_type == \"node_failed\")'"
  )
)

const maxIterations = Options.integer("max-iterations").pipe(
  Options.optional,
  Options.withDescription(
    "How many times one node may run in a run (loops), overriding the workflow's max_iterations (default 25). " +
      "Example: --max-iterations 50"
  )
)

const traceDir = StoreOption.store("Where traces are stored")

const capture = Options.choice("capture", ["full", "preview", "none"]).pipe(
  Options.optional,
  Options.withDescription(
    "How inputs and outputs larger than the inline budget (64 KiB, capture.max_inline_bytes in victor.config.json) " +
      "are stored: full (default) keeps them once as blobs in the store's blobs/ directory, with a preview in the " +
      "trace; preview keeps only the preview, size and hash; none keeps no input or output content at all, only " +
      "sizes and hashes. Example: --capture preview"
  )
)

const allowPath = Options.text("allow-path").pipe(
  Options.repeated,
  Options.withDescription(
    "A directory the file tools (read, write, ls, grep) may also use, besides the working directory; repeat it for " +
      "more (tools.allowed_paths in victor.config.json does the same). No value from a context or a model can take " +
      "a tool outside them. Example: --allow-path /data/reports"
  )
)

/** `--repeat N`; `trace` says what it means with `-o`, which `run` does not have. */
const repeat = (withExport: boolean) =>
  Options.integer("repeat").pipe(
    Options.optional,
    Options.withDescription(
      "Run the workflow N times (default 1), one run after the other in this process, each stored as its own trace: " +
        "a load test of the store, or a way to catch a flaky run. Prints one line per run (its trace id, status and " +
        "time, and the first error of a run that failed) and then a summary of them all; the exit code is the worst " +
        "run's (1 when any failed). Ctrl-C stops at the run it interrupts, which is stored as cancelled. A trace " +
        "that cannot be stored stops the runs. " +
        (withExport
          ? "Not with -o, which writes one trace: every run is in the store (victor trace list; victor trace export ID). "
          : "") +
        "Example: --repeat 50"
    )
  )

// The options `trace` and `run` share; `trace` adds the export ones.
const runConfig = {
  allowPath,
  file,
  context,
  workflow,
  script,
  ...ProviderOptions.options,
  yes,
  concurrency,
  maxIterations,
  events,
  traceDir,
  capture,
  ...OtlpOptions.options
}

// The workflow engine, imported when a run starts (so that `--help` never loads it).
const loadRun = Effect.promise(() => import("./WorkflowRun.ts"))

/** Runs a workflow with the shared options and an optional export. */
const runWorkflow = (
  options: Command.Command.ParseConfig<typeof runConfig> & { readonly repeat: Option.Option<number> },
  exportTo: {
    readonly output: Option.Option<string>
    readonly format: Option.Option<string>
    readonly csvRows?: Option.Option<"nodes" | "tools">
  }
) =>
  Effect.flatMap(loadRun, (command) =>
    command.run({
      file: options.file,
      output: Option.getOrUndefined(exportTo.output),
      format: Option.getOrUndefined(exportTo.format),
      csvRows: exportTo.csvRows === undefined ? undefined : Option.getOrUndefined(exportTo.csvRows),
      context: Option.getOrUndefined(options.context),
      workflow: Option.getOrUndefined(options.workflow),
      script: Option.getOrUndefined(options.script),
      provider: Option.getOrUndefined(options.provider),
      model: Option.getOrUndefined(options.model),
      baseUrl: Option.getOrUndefined(options.baseUrl),
      yes: options.yes,
      concurrency: Option.getOrUndefined(options.concurrency),
      maxIterations: Option.getOrUndefined(options.maxIterations),
      repeat: Option.getOrUndefined(options.repeat),
      events: Option.getOrUndefined(options.events),
      traceDir: Option.getOrUndefined(options.traceDir),
      capture: Option.getOrUndefined(options.capture),
      allowPaths: options.allowPath,
      otlp: OtlpOptions.request(options)
    }))

const traceCommand = Command.make(
  "trace",
  { ...runConfig, repeat: repeat(true), output, format, csvRows },
  (options) => runWorkflow(options, options)
).pipe(
  Command.withDescription(
    "Run a workflow with execution tracing: every node and tool call with inputs, outputs, timing and errors. " +
      "Prints a summary, stores the trace in the trace directory, and with --output also writes an export. " +
      "A W3C TRACEPARENT in the environment becomes the run's parent; shell tools get the running node's. " +
      "Exit code: 0 when the workflow succeeded, 1 when a node failed, 2 for bad input (nothing ran). " +
      "Examples: victor workflow trace examples/workflows/code_review.yaml -o trace.json ; " +
      `victor workflow trace review.yaml --context '{"review_id": "PR-123"}' ; ` +
      "victor workflow trace flaky.yaml --repeat 50"
  )
)

const runCommand = Command.make(
  "run",
  { ...runConfig, repeat: repeat(false) },
  (options) => runWorkflow(options, { output: Option.none(), format: Option.none() })
).pipe(
  Command.withDescription(
    "Run a workflow: the same run, summary and stored trace as `workflow trace`, without an export. " +
      "Exit code: 0 succeeded, 1 a node failed, 2 bad input. Examples: victor workflow run " +
      "examples/workflows/code_review.yaml ; victor workflow run nightly.yaml --repeat 50 --store postgres://ci@db/victor"
  )
)

const validateCommand = Command.make(
  "validate",
  {
    file: Args.text({ name: "workflow.yaml" }).pipe(
      Args.withDescription("The workflow file (YAML) to check, e.g. examples/workflows/code_review.yaml")
    ),
    workflow: Options.text("workflow").pipe(
      Options.optional,
      Options.withDescription(
        "Check only this workflow of a file that defines several (under `workflows:`); without it every one is " +
          "checked and each finding names its workflow. Example: --workflow review"
      )
    ),
    strict: Options.boolean("strict").pipe(
      Options.withDescription(
        "Fail on warnings too: exit code 2 when there is any error or warning (without it, warnings are printed and " +
          "only errors fail). Example: victor workflow validate --strict nightly.yaml"
      )
    )
  },
  (options) =>
    Effect.flatMap(Effect.promise(() => import("./WorkflowValidateCommand.ts")), (command) =>
      command.run({ file: options.file, workflow: Option.getOrUndefined(options.workflow), strict: options.strict }))
).pipe(
  Command.withDescription(
    "Check a workflow file without running it: YAML syntax, node kinds, references between nodes, tools and " +
      "handlers, expressions, sub-workflows; warnings for unreachable nodes, loops without an exit, conditions that " +
      "name no registered condition, and unknown fields. Every problem names the file and " +
      "line. A file that defines several workflows has each of them checked. " +
      "MCP servers configured for it (mcp_servers in victor.config.json or the file) are started to learn their " +
      "tools. Exit code 0 when there is no error (warnings are printed), 2 when there is any error, or any warning " +
      "with --strict (for CI). " +
      "Example: victor workflow validate examples/workflows/code_review.yaml"
  )
)

const workflowCommand = Command.make("workflow").pipe(
  Command.withDescription(
    "Work with workflow files: trace (run and export), run, validate. Example: victor workflow trace my_workflow.yaml -o trace.json"
  ),
  Command.withSubcommands([traceCommand, runCommand, validateCommand])
)

/** The root command. */
export const victor = Command.make("victor").pipe(
  Command.withDescription(
    "Victor traces workflow executions: run a YAML workflow and see every node and tool call, with timings, " +
      "errors and exports; then list, analyze and compare stored traces. Start with: victor workflow trace --help"
  ),
  Command.withSubcommands([workflowCommand, traceGroup, uiCommand])
)

/** What the command line is rewritten to before it is parsed: a bare `--otlp` given its placeholder value. */
export const preprocess = OtlpOptions.expandBare

/** The command tree, for help pages and for the messages about a command line that does not parse. */
export const tree: Help.Tree = Help.tree(victor, [
  Help.tree(workflowCommand, [traceCommand, runCommand, validateCommand].map((command) => Help.tree(command))),
  Help.tree(traceGroup, [...storeCommands, ...analysisCommands].map((command) => Help.tree(command))),
  Help.tree(uiCommand)
])
