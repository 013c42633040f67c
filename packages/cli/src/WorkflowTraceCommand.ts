/**
 * `victor workflow trace <file>`: load a workflow, run it with tracing, store the trace, print the summary, and
 * write an export when `--output` is given. Input is checked before anything runs. The plugins `victor.config.json`
 * names are loaded first, once: the workflow may use their node kinds, handlers, conditions, transforms and tools,
 * and an export their formats. With `--repeat N` the workflow runs N times, one run after the other over the one
 * store (one connection pool for a database), each run its own trace and line, then a summary of the runs.
 */
import type * as CommandExecutor from "@effect/platform/CommandExecutor"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as BlobSink from "@victor/core/BlobSink"
import * as ExporterRegistry from "@victor/core/ExporterRegistry"
import * as TraceContext from "@victor/core/TraceContext"
import * as TraceId from "@victor/core/TraceId"
import * as TraceHandler from "@victor/core/TraceHandler"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as Console from "effect/Console"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as nodePath from "node:path"
import * as CancelledRun from "./CancelledRun.ts"
import { UsageError, WorkflowFailed } from "./CliError.ts"
import * as ExportWriter from "./ExportWriter.ts"
import * as McpTools from "./McpTools.ts"
import * as NdjsonEvents from "./NdjsonEvents.ts"
import type * as OtlpOptions from "./OtlpOptions.ts"
import type * as BundledExporters from "./BundledExporters.ts"
import type * as PluginLoader from "./PluginLoader.ts"
import * as ProgressView from "./ProgressView.ts"
import * as RunPersistence from "./store/RunPersistence.ts"
import * as StderrWarnings from "./store/StderrWarnings.ts"
import * as StoreLocation from "./store/StoreLocation.ts"
import * as VictorConfig from "./VictorConfig.ts"
import * as Summary from "./Summary.ts"
import * as TerminalHumanInput from "./TerminalHumanInput.ts"
import * as WorkflowInput from "./WorkflowInput.ts"
import * as TraceOptions from "./TraceOptions.ts"

/** The option values of `workflow trace`. */
export interface TraceCommandOptions {
  readonly file: string
  readonly output: string | undefined
  readonly format: string | undefined
  /** `--csv-rows`: one CSV row per node (default) or per tool call. */
  readonly csvRows?: "nodes" | "tools" | undefined
  readonly context: string | undefined
  readonly workflow: string | undefined
  /** A script for the scripted agent provider. */
  readonly script: string | undefined
  /** `--provider`, `--model`, `--base-url`: the model of agent nodes (see `ProviderOptions`). */
  readonly provider?: string | undefined
  readonly model?: string | undefined
  readonly baseUrl?: string | undefined
  readonly concurrency: number | undefined
  readonly maxIterations: number | undefined
  /** `--repeat`: how many runs, one after the other, each its own stored trace (default 1). */
  readonly repeat?: number | undefined
  /** `--yes`: answer hitl approvals with yes and other questions with their defaults, never asking. */
  readonly yes: boolean
  /** `ndjson` streams execution events to stdout; the summary then goes to stderr. */
  readonly events: "ndjson" | undefined
  readonly traceDir: string | undefined
  /** `--capture`: how large inputs and outputs are stored (full: blobs, preview, none). */
  readonly capture?: "full" | "preview" | "none" | undefined
  /** `--allow-path`: directories the file tools may use besides the working directory. */
  readonly allowPaths?: ReadonlyArray<string> | undefined
  /** `--otlp [URL]`, `--otlp-header`, `--otlp-timeout`: push the stored trace to an OTLP collector. */
  readonly otlp?: OtlpOptions.Request | undefined
}

/** What a run's store layer provides (the store and the services that come with it), built once for all runs. */
type RunStore = Layer.Layer.Success<ReturnType<typeof RunPersistence.storeLayer>>

/** Runs an effect interruptibly inside the command's uninterruptible region (`Effect.uninterruptibleMask`). */
type Interruptible = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

const formatBytes = (bytes: number): string =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1048576).toFixed(1)} MiB`

/** Whether the run writes an export (`-o`, `--format` or `--csv-rows` given). */
const exports = (
  options: Pick<TraceCommandOptions, "output" | "format" | "csvRows">
): boolean => options.output !== undefined || options.format !== undefined || options.csvRows !== undefined

/** The bundled exporters and the plugins' (a plugin may replace a bundled format by using its name). */
const exporterRegistry = (
  plugins: PluginLoader.Loaded,
  options: BundledExporters.Options
): Effect.Effect<ExporterRegistry.ExporterRegistry["Type"]> =>
  Effect.map(Effect.promise(() => import("./BundledExporters.ts")), (bundled) =>
    ExporterRegistry.make([
      ...bundled.make(options),
      ...plugins.plugins.flatMap((plugin) => plugin.exporters ?? [])
    ]))

/** Runs the command; fails with `UsageError` for bad input and `WorkflowFailed` when the run did not succeed. */
export const run = (
  options: TraceCommandOptions
): Effect.Effect<
  void,
  UsageError | WorkflowFailed,
  FileSystem.FileSystem | Path.Path | CommandExecutor.CommandExecutor
> =>
  Effect.gen(function*() {
    const context = yield* TraceOptions.parseContext(options.context)
    const { answers: hitlAnswers, state } = yield* TraceOptions.splitHitlAnswers(context)
    for (const [flag, value, example] of [
      ["--concurrency", options.concurrency, 4],
      ["--max-iterations", options.maxIterations, 25],
      ["--repeat", options.repeat, 50]
    ] as const) {
      if (value !== undefined && value < 1) {
        return yield* new UsageError({ description: `${flag} must be at least 1, not ${value}; e.g. ${flag} ${example}` })
      }
    }
    const repeat = options.repeat ?? 1
    if (repeat > 1 && options.output !== undefined) {
      return yield* new UsageError({
        description: `-o writes one trace and --repeat ${repeat} makes ${repeat}: every run is stored, so list them ` +
          "with victor trace list and export one with victor trace export <trace id>"
      })
    }
    // The config (a malformed one is a usage error) and its plugins, before the workflow they may extend.
    const loaded = yield* VictorConfig.load()
    const plugins = yield* WorkflowInput.loadPlugins(loaded)
    const provideFunctions = WorkflowInput.provideFunctions(plugins)
    // The exporters (handlebars, OpenTelemetry's encoders) are loaded only for a run that exports.
    const exporter = exports(options)
      ? yield* TraceOptions.resolveExporter(
        yield* exporterRegistry(plugins, { csvRows: options.csvRows, prices: loaded.config.prices }),
        options.format,
        options.output
      )
      : undefined
    if (exporter !== undefined) yield* TraceOptions.checkCsvRows(exporter, options.csvRows)
    // `-o -`: the export owns stdout, and the summary goes to stderr.
    const exportToStdout = options.output !== undefined && ExportWriter.isStdout(options.output)
    if (exportToStdout && options.events === "ndjson") {
      return yield* new UsageError({
        description: "-o - and --events ndjson both write to stdout; write the export to a file, e.g. -o trace.json"
      })
    }
    // A directory, a socket or a block device as -o is a mistake worth knowing before the run, not after it.
    if (options.output !== undefined) yield* ExportWriter.check(options.output)
    const workflow = yield* provideFunctions(WorkflowInput.load(options.file, options.workflow))
    for (const warning of workflow.warnings) yield* Console.error(`warning: ${warning}`)
    // A run started by another (a `victor` in a shell node, or any W3C-traced caller) continues its trace context.
    const inherited = TraceContext.fromEnvironment(process.env)
    if (inherited.warning !== undefined) yield* Console.error(`warning: ${inherited.warning}`)
    // Without MCP servers the tools are checked now, as before; with them, once the servers have said what they have.
    const { config, directory: configDirectory, file: configFile } = loaded
    const maybeMcp = workflow.mcpServers != null || Object.keys(config.mcp_servers ?? {}).length > 0
    if (!maybeMcp) yield* provideFunctions(WorkflowInput.checkTools(workflow))
    const provider = yield* WorkflowInput.agentProvider(workflow, {
      script: options.script,
      provider: options.provider,
      model: options.model,
      baseUrl: options.baseUrl
    })

    // The config read above, not read again.
    const storeLocation = yield* StoreLocation.resolve(options.traceDir, process.env, loaded)
    const storeName = StoreLocation.describe(storeLocation)
    // What reaches the store: redacted (on by default) and captured as --capture / victor.config.json say.
    const redaction = yield* RunPersistence.redactionRules(config, workflow.metadata)
    const captureOptions = RunPersistence.captureOptions(options.capture, config)
    // A push (--otlp, or otlp.endpoint in the config) is checked now, before anything runs; its code is loaded only
    // for a run that pushes.
    const otlpRequest = options.otlp
    const wantsPush = config.otlp?.endpoint !== undefined || (otlpRequest !== undefined &&
      (otlpRequest.enabled || otlpRequest.headers.length > 0 || otlpRequest.timeoutMillis !== undefined))
    const tracePush = wantsPush ? yield* Effect.promise(() => import("./store/TracePush.ts")) : undefined
    const otlpPlan = tracePush === undefined
      ? undefined
      : yield* tracePush.planRun(
        otlpRequest ?? { enabled: false, endpoint: undefined, headers: [], timeoutMillis: undefined },
        config,
        configFile
      )
    // With --events ndjson or -o -, stdout carries only the events or the export.
    const say = (text: string) => options.events === "ndjson" || exportToStdout ? Console.error(text) : Console.log(text)
    // One writer for every run of a --repeat: it watches stdout for the reader going away once, not once a run.
    const ndjson = options.events === "ndjson" ? NdjsonEvents.make(NdjsonEvents.stdoutWriter()) : undefined
    const toolOptions: ToolRegistry.RegistryOptions = {
      allowedPaths: [
        ".",
        ...(config.tools?.allowed_paths ?? []).map((dir) => nodePath.resolve(configDirectory, dir)),
        ...(options.allowPaths ?? [])
      ]
    }
    // MCP servers (victor.config.json's and the workflow's mcp_servers) start once for all runs of the command and
    // stop when it ends; without any, the registry is the built-in tools' and no MCP code is loaded.
    const mcpServers = yield* McpTools.servers(loaded, workflow)
    // A tool a plugin provides is not one a server that failed to start should stand in for.
    const pluginTools = new Set(plugins.plugins.flatMap((plugin) => (plugin.tools ?? []).map((tool) => tool.name)))
    const expectedTools = Array.from(McpTools.namedTools(workflow)).filter((name) => !pluginTools.has(name))
    const tools = Object.keys(mcpServers).length === 0
      ? ToolRegistry.layerBuiltinWith(toolOptions)
      : Layer.succeedContext(yield* Layer.build(McpTools.layer(mcpServers, toolOptions, expectedTools)))
    if (maybeMcp) yield* provideFunctions(WorkflowInput.checkTools(workflow, tools))

    /**
     * One run over the store: its exit, and the trace it ended with when a signal cancelled it. The tracer is the
     * run's own; the store is shared by the runs of a --repeat.
     */
    const runOnce = (store: Context.Context<RunStore>, interruptible: Interruptible) =>
      Effect.gen(function*() {
        // The run's trace id is chosen here, so that the trace a cancelled run ends with can be told from its
        // sub-workflows' and kept for the summary and the export (`CancelledRun`).
        const traceId = yield* TraceId.make
        const capture = CancelledRun.make()
        const runLayer = Layer.mergeAll(
          CancelledRun.layer(traceId, capture).pipe(
            Layer.provide(WorkflowTracer.layer()),
            Layer.provide(Layer.succeedContext(store))
          ),
          tools,
          RunPersistence.redactionLayer(redaction),
          // The store's blob sink, when it has one: tools stream large outputs into its blobs as they run.
          BlobSink.layerFrom(store)
        )
        const execution = Effect.scoped(Effect.gen(function*() {
          // stdout carries the events with --events ndjson; otherwise a terminal gets the live view.
          const view = options.events === "ndjson" ? undefined : yield* ProgressView.start
          const humanInput = TerminalHumanInput.layer({
            answers: hitlAnswers,
            yes: options.yes,
            interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
            ...(view === undefined ? {} : { pause: view.pause, resume: view.resume })
          })
          const watchers = ndjson !== undefined ? [ndjson] : view === undefined ? [] : [view.handler]
          return yield* WorkflowExecutor.execute(workflow, {
            context: state,
            traceId,
            ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
            ...(options.maxIterations === undefined ? {} : { maxIterations: options.maxIterations }),
            ...(inherited.traceParent === undefined ? {} : { traceParent: inherited.traceParent }),
            ...(inherited.parentTraceId === undefined ? {} : { parentTraceId: inherited.parentTraceId })
          }).pipe(
            TraceHandler.provideMore(...watchers),
            Effect.provide(Layer.merge(provider, humanInput)),
            provideFunctions
          )
        })).pipe(Effect.provide(runLayer))
        const exit = yield* Effect.exit(interruptible(execution))
        return { exit, cancelled: Exit.isInterrupted(exit) ? capture.ended : undefined }
      })

    /**
     * What follows a run, uninterruptibly: its summary (the full one, or its line of a --repeat), the export, the
     * push. Returns what went wrong with storing and exporting it.
     */
    const finish = (
      result: CancelledRun.Ended,
      interrupted: boolean,
      run: number,
      interruptible: Interruptible
    ) =>
      Effect.gen(function*() {
        const trace = result.trace
        const extra: Array<readonly [string, string]> = []
        extra.push(["Stored in", result.saveError === null ? storeName : "not stored (see the error below)"])
        let exportError: UsageError | undefined
        if (options.output !== undefined && exporter !== undefined) {
          // Captured as the store keeps it: --capture applies to every sink.
          const exported = yield* RunPersistence.captured(trace, captureOptions)
          const written = yield* Effect.either(ExportWriter.write(options.output, exporter.export(exported)))
          if (written._tag === "Right") {
            extra.push(["Output", `${exportToStdout ? "stdout" : options.output} (${exporter.name}, ${formatBytes(written.right)})`])
          } else {
            exportError = written.left instanceof UsageError
              ? written.left
              : new UsageError({ description: written.left.message })
          }
        }
        yield* say(
          repeat === 1
            ? Summary.render(trace, extra)
            : `${Summary.runLine(trace, run, repeat)}${result.saveError === null ? "" : " (not stored)"}`
        )
        // Interrupted once the trace had ended, the run is what it was (a signal then only stops what follows).
        if (interrupted && trace.status === "cancelled" && result.saveError === null) {
          yield* Console.error(`victor: cancelled; the trace was stored with status "cancelled" in ${storeName}`)
        }
        // Stored before pushed: a trace the store does not hold is not pushed (it could not be sent again later).
        // The push neither fails the run nor changes its exit code; a signal during it leaves the trace pending.
        if (tracePush !== undefined && otlpPlan !== undefined && result.saveError === null) {
          yield* tracePush.afterRun(otlpPlan, yield* RunPersistence.captured(trace, captureOptions), {
            storeDirectory: StoreLocation.localDirectory(storeLocation),
            cancelled: interrupted,
            say,
            interruptible
          })
        }
        const storeProblem = result.saveError === null
          ? undefined
          : repeat === 1
          ? `the trace could not be stored: ${result.saveError.message}`
          : `the trace of run ${run}/${repeat} could not be stored, and no more runs were started: ${result.saveError.message}`
        return { trace, storeProblem, exportError }
      })

    // A signal (see `Signals`) interrupts the run, not what follows it: the executor ends and stores the trace as
    // cancelled, and the command then summarises, exports and reports it like any other run, uninterruptibly. Of a
    // --repeat, the run it interrupts is the last; one between runs starts no more.
    return yield* Effect.scoped(Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        // The store's directory is checked as the layer is built, before anything runs: one it refuses (or a
        // database it cannot reach) ends the command.
        const store = yield* restore(Layer.build(RunPersistence.storeLayer(storeLocation, captureOptions))).pipe(
          Effect.catchTag("TraceStoreError", (error) => Effect.fail(new UsageError({ description: error.message })))
        )
        if (repeat === 1) {
          const { cancelled, exit } = yield* runOnce(store, restore)
          const result = Exit.isSuccess(exit) ? exit.value : cancelled ?? (yield* exit)
          const { exportError, storeProblem, trace } = yield* finish(result, cancelled !== undefined, 1, restore)
          if (exportError !== undefined) {
            if (storeProblem !== undefined) yield* Console.error(`victor: ${storeProblem}`)
            return yield* exportError
          }
          if (trace.status !== "succeeded") {
            if (storeProblem !== undefined) yield* Console.error(`victor: ${storeProblem}`)
            return yield* new WorkflowFailed({ status: trace.status })
          }
          if (storeProblem !== undefined) return yield* new UsageError({ description: storeProblem })
          return
        }
        const outcomes: Array<Summary.RunOutcome> = []
        const summarise = Effect.suspend(() =>
          say(`\n${Summary.renderRuns(workflow.name, outcomes, repeat, [["Stored in", storeName]])}`)
        )
        for (let run = 1; run <= repeat; run++) {
          const { cancelled, exit } = yield* runOnce(store, restore)
          if (Exit.isFailure(exit) && cancelled === undefined) {
            // Interrupted before its trace began (a signal between runs), or a failure that is not a run's.
            yield* summarise
            return yield* Effect.failCause(exit.cause)
          }
          const result = Exit.isSuccess(exit) ? exit.value : cancelled!
          const finished = yield* finish(result, cancelled !== undefined, run, restore)
          outcomes.push(Summary.outcomeOf(run, finished.trace))
          if (finished.storeProblem !== undefined) {
            yield* summarise
            return yield* new UsageError({ description: finished.storeProblem })
          }
          if (cancelled !== undefined) break
        }
        yield* summarise
        const failed = outcomes.find((outcome) => outcome.status !== "succeeded")
        if (failed !== undefined) return yield* new WorkflowFailed({ status: failed.status })
      })
    ))
  }).pipe(
    // The scope of the MCP servers: closed when the command ends, a signal's interruption included.
    Effect.scoped,
    // Warnings (a trace handler that failed, a store problem) on stderr: stdout may carry the events or the export.
    Effect.provide(StderrWarnings.layer)
  )
