/**
 * `victor trace list | show | export | rm | prune | push`: the commands over the trace store. Only their arguments and
 * help live here; what they do (`store/TraceCommands.ts`, `store/PushCommand.ts`) is imported when one runs, so
 * `--help` stays fast.
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as StoreOption from "./StoreOption.ts"

const load = () => Effect.promise(() => import("./store/TraceCommands.ts"))

const traceDir = StoreOption.store("The trace store")

const reference = (what: string) =>
  Args.text({ name: "trace" }).pipe(
    Args.withDescription(
      `The trace ${what}: its id, a unique prefix of the id, or \`last\` (the newest); or a trace file path with a / ` +
        "or ending in .json (any other file: --file). Example: last, or 3f2a"
    ),
    Args.optional
  )

// A file is a trace only when given as one: a bare name is always a stored trace id.
const file = (what: string) =>
  Options.text("file").pipe(
    Options.optional,
    Options.withDescription(
      `Read the trace ${what} from this file (what -o FILE.json wrote) instead of the store; give it instead of a ` +
        "stored trace. Example: --file trace.json"
    )
  )

const listCommand = Command.make("list", {
  workflow: Options.text("workflow").pipe(
    Options.optional,
    Options.withDescription("Only traces of this workflow. Example: --workflow code_review")
  ),
  status: Options.text("status").pipe(
    Options.optional,
    Options.withDescription(
      "Only traces in this state: succeeded, failed, incomplete (recovered after a crash), cancelled or running. " +
        "Example: --status failed"
    )
  ),
  since: Options.text("since").pipe(
    Options.optional,
    Options.withDescription("Only traces started within this age: s, m, h, d or w. Example: --since 7d")
  ),
  limit: Options.integer("limit").pipe(
    Options.optional,
    Options.withDescription("At most this many, the most recent. Example: --limit 20")
  ),
  json: Options.boolean("json").pipe(
    Options.withDescription(
      "Print a JSON array of summaries (trace_id, workflow_name, status, start_time, end_time, duration_seconds, " +
        "node_count, failed_node_count, and push: \"pushed\" or \"pending\" for a trace sent to an OTLP collector or " +
        "waiting to be, else null), newest first. Example: --json | jq -r '.[0].trace_id'"
    )
  ),
  traceDir
}, (o) =>
  Effect.flatMap(load(), (c) =>
    c.list({
      workflow: Option.getOrUndefined(o.workflow),
      status: Option.getOrUndefined(o.status),
      since: Option.getOrUndefined(o.since),
      limit: Option.getOrUndefined(o.limit),
      json: o.json,
      traceDir: Option.getOrUndefined(o.traceDir)
    }))).pipe(
    Command.withDescription(
      "List stored traces, newest first: id, workflow, status, start (UTC), duration, node and failure counts, and " +
        "once any was pushed to an OTLP collector, OTLP: pushed, or pending (see victor trace push --pending). " +
        "Runs that died (kill -9, a crash) are recovered from their journals and listed as incomplete. Foreign or " +
        "corrupt files in the directory are moved to its quarantine/ with one warning each (see trace prune). " +
        "Examples: victor trace list ; victor trace list --workflow review --status failed --since 7d --limit 10"
    )
  )

const showCommand = Command.make("show", {
  reference: reference("to show"),
  file: file("to show"),
  full: Options.boolean("full").pipe(
    Options.withDescription(
      "Print every input and output in full, with large payloads read back from their blobs (otherwise one " +
        "clipped line each, and a blob shows as its preview). Example: victor trace show last --full"
    )
  ),
  traceDir
}, (o) =>
  Effect.flatMap(load(), (c) =>
    c.show({
      reference: Option.getOrUndefined(o.reference),
      file: Option.getOrUndefined(o.file),
      full: o.full,
      traceDir: Option.getOrUndefined(o.traceDir)
    }))).pipe(
    Command.withDescription(
      "Show a stored trace (or a trace file): its summary, then every node with its status, duration, tool calls, " +
        "inputs and outputs. Examples: victor trace show last ; victor trace show 3f2a --full ; " +
        "victor trace show --file trace.json"
    )
  )

const exportCommand = Command.make("export", {
  reference: reference("to export"),
  file: file("to export"),
  format: Options.text("format").pipe(
    Options.optional,
    Options.withDescription(
      "The export format, any the exporter registry knows (json, csv, html, otlp, ...); by default the one matching the " +
        "extension of -o, else json. Example: --format csv"
    )
  ),
  output: Options.text("output").pipe(
    Options.withAlias("o"),
    Options.optional,
    Options.withDescription(
      "The file to write (missing directories are created; a file is replaced atomically, a symlink's target " +
        "likewise; /dev/null or a FIFO is written to, never replaced); without it, or with -, the export goes to " +
        "stdout. Large payloads are read back from their blobs. Example: -o report.html"
    )
  ),
  traceDir
}, (o) =>
  Effect.flatMap(load(), (c) =>
    c.exportTrace({
      reference: Option.getOrUndefined(o.reference),
      file: Option.getOrUndefined(o.file),
      format: Option.getOrUndefined(o.format),
      output: Option.getOrUndefined(o.output),
      traceDir: Option.getOrUndefined(o.traceDir)
    }))).pipe(
    Command.withDescription(
      "Export a stored trace with an exporter plugin. Examples: victor trace export last --format csv -o trace.csv ; " +
        "victor trace export 3f2a -o report.html"
    )
  )

const rmCommand = Command.make("rm", {
  references: Args.text({ name: "trace" }).pipe(
    Args.atLeast(1),
    Args.withDescription(
      "One or more stored traces: ids, unique id prefixes or `last` (never a file path). " +
        "Example: victor trace rm 3f2a 9c1d"
    )
  ),
  traceDir
}, (o) =>
  Effect.flatMap(load(), (c) => c.rm({ references: o.references, traceDir: Option.getOrUndefined(o.traceDir) }))).pipe(
    Command.withDescription(
      "Remove stored traces (their blobs go with the next prune); it never removes anything else, and a path is " +
        "refused. Example: victor trace rm last"
    )
  )

const pruneCommand = Command.make("prune", {
  olderThan: Options.text("older-than").pipe(
    Options.optional,
    Options.withDescription("Remove traces started longer ago than this: s, m, h, d or w. Example: --older-than 30d")
  ),
  keepLast: Options.integer("keep-last").pipe(
    Options.optional,
    Options.withDescription("Keep only the newest N traces. Example: --keep-last 100")
  ),
  maxSize: Options.text("max-size").pipe(
    Options.optional,
    Options.withDescription(
      "Remove the oldest traces until the store holds at most this much: B, KB/MB/GB (powers of 1000) or " +
        "KiB/MiB/GiB (powers of 1024). Example: --max-size 2GB"
    )
  ),
  dryRun: Options.boolean("dry-run").pipe(
    Options.withDescription(
      "Only print what would be removed, stray files with the reason each is stray. " +
        "Example: victor trace prune --older-than 30d --dry-run"
    )
  ),
  traceDir
}, (o) =>
  Effect.flatMap(load(), (c) =>
    c.prune({
      olderThan: Option.getOrUndefined(o.olderThan),
      keepLast: Option.getOrUndefined(o.keepLast),
      maxSize: Option.getOrUndefined(o.maxSize),
      dryRun: o.dryRun,
      traceDir: Option.getOrUndefined(o.traceDir)
    }))).pipe(
    Command.withDescription(
      "Clean up the store: remove traces by age, count or total size (a trace matching any rule goes; running " +
        "traces never), then the blobs no trace refers to, and always the stray files: those in the store's " +
        "quarantine (corrupt trace files, empty or headerless journals) and unfinished writes of runs that died. " +
        "Without a rule, only the strays and unreferenced blobs go. Examples: victor trace prune ; " +
        "victor trace prune --older-than 30d ; victor trace prune --keep-last 100 --max-size 2GB --dry-run"
    )
  )

const pushCommand = Command.make("push", {
  references: Args.text({ name: "trace" }).pipe(
    Args.repeated,
    Args.withDescription(
      "The traces to push: stored trace ids, unique id prefixes or `last`, or trace file paths (with a / or ending " +
        "in .json). Example: victor trace push last 3f2a"
    )
  ),
  files: Options.text("file").pipe(
    Options.repeated,
    Options.withDescription(
      "Also push the trace in this file (what -o FILE.json wrote), whatever its name; repeat it for more. A file's " +
        "trace is not in the store, so it is not marked pending when the collector does not take it. " +
        "Example: --file trace.json"
    )
  ),
  pending: Options.boolean("pending").pipe(
    Options.withDescription(
      "Push every stored trace still marked pending (a run with --otlp whose collector was down or refused it, a " +
        "push cut short), oldest first, with progress on stderr; each goes to the endpoint its last push went to " +
        "unless --endpoint is given, and resumes after the requests already delivered. Nothing pending: nothing sent. " +
        "Example: victor trace push --pending"
    )
  ),
  endpoint: Options.text("endpoint").pipe(
    Options.withPseudoName("URL"),
    Options.optional,
    Options.withDescription(
      "The collector's OTLP/HTTP URL (default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, else " +
        "$OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, else http://localhost:4318/v1/traces); a URL without a path gets " +
        "/v1/traces. Credentials in it (http://user:pass@host) become a Basic authorization header and are never " +
        "stored. Example: --endpoint http://collector:4318"
    )
  ),
  headers: Options.text("header").pipe(
    Options.withPseudoName("K=V"),
    Options.repeated,
    Options.withDescription(
      "A request header, KEY=VALUE, after those of $OTEL_EXPORTER_OTLP_HEADERS and " +
        "$OTEL_EXPORTER_OTLP_TRACES_HEADERS (k=v,k2=v2; the same name: this one wins); repeat it for more. Header " +
        "values are credentials: never printed, never stored. Example: --header \"authorization=Bearer $TOKEN\""
    )
  ),
  protocol: Options.choice("protocol", ["http/protobuf", "http/json"]).pipe(
    Options.optional,
    Options.withDescription(
      "The OTLP encoding (default: $OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else $OTEL_EXPORTER_OTLP_PROTOCOL, else " +
        "http/protobuf). Bodies are gzip-compressed unless $OTEL_EXPORTER_OTLP_COMPRESSION=none; OTLP over gRPC is " +
        "not supported. Example: --protocol http/json"
    )
  ),
  timeout: Options.integer("timeout").pipe(
    Options.optional,
    Options.withDescription(
      "How long one request may take, in milliseconds (default: $OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, else " +
        "$OTEL_EXPORTER_OTLP_TIMEOUT, else 10000). Requests answered 429, 502, 503 or 504, or not at all, are " +
        "retried 5 times with growing delays (or as Retry-After asks). Example: --timeout 30000"
    )
  ),
  traceDir
}, (o) =>
  Effect.flatMap(Effect.promise(() => import("./store/PushCommand.ts")), (c) =>
    c.run({
      references: o.references,
      files: o.files,
      pending: o.pending,
      endpoint: Option.getOrUndefined(o.endpoint),
      headers: o.headers,
      protocol: Option.getOrUndefined(o.protocol),
      timeoutMillis: Option.getOrUndefined(o.timeout),
      traceDir: Option.getOrUndefined(o.traceDir)
    }))).pipe(
    Command.withDescription(
      "Push traces to an OpenTelemetry collector over OTLP/HTTP, as spans in the GenAI semantic conventions (the " +
        "otlp export), resource service.name from $OTEL_SERVICE_NAME (default victor) and $OTEL_RESOURCE_ATTRIBUTES. " +
        "A stored trace is marked pending before it is sent and pushed once the collector took it (trace list shows " +
        "which); one the collector did not take stays pending for --pending. The store records the endpoint, never a " +
        "header. Exit code: 0 when every trace was pushed, 1 when one was not (one line on stderr naming the " +
        "endpoint, the trace and the status), 2 for bad input. Examples: victor trace push last ; " +
        "victor trace push --pending ; victor trace push 3f2a --endpoint https://otlp.example.com --header " +
        "\"authorization=Bearer $TOKEN\""
    )
  )

const syncCommand = Command.make("sync", {
  references: Args.text({ name: "trace" }).pipe(
    Args.repeated,
    Args.withDescription(
      "The traces to copy: ids, unique id prefixes or `last` in the source store; none: every trace --workflow and " +
        "--since select. Example: victor trace sync last --to postgres://ci@db.internal/victor"
    )
  ),
  to: Options.text("to").pipe(
    Options.withPseudoName("STORE"),
    Options.withDescription(
      "The store to copy into: a directory, or a postgres:// URL (its password from $PGPASSWORD). " +
        "Example: --to postgres://ci@db.internal/victor"
    )
  ),
  from: Options.text("from").pipe(
    Options.withPseudoName("STORE"),
    Options.optional,
    Options.withDescription(
      "The store to copy from (default: the store --store names, with its defaults). Example: --from ./traces"
    )
  ),
  workflow: Options.text("workflow").pipe(
    Options.optional,
    Options.withDescription("Only traces of this workflow. Example: --workflow code_review")
  ),
  since: Options.text("since").pipe(
    Options.optional,
    Options.withDescription("Only traces started within this age: s, m, h, d. Example: --since 7d")
  ),
  dryRun: Options.boolean("dry-run").pipe(
    Options.withDescription("Only print what would be copied. Example: victor trace sync --to ./backup --dry-run")
  ),
  traceDir
}, (o) =>
  Effect.flatMap(Effect.promise(() => import("./store/SyncCommand.ts")), (c) =>
    c.run({
      references: o.references,
      to: o.to,
      from: Option.getOrUndefined(Option.orElse(o.from, () => o.traceDir)),
      workflow: Option.getOrUndefined(o.workflow),
      since: Option.getOrUndefined(o.since),
      dryRun: o.dryRun
    }))).pipe(
    Command.withDescription(
      "Copy traces from one store to another (a directory to a shared PostgreSQL store and back), so that a machine " +
        "can record locally and publish when the network allows. Idempotent: a trace the target already holds as " +
        "finished is not copied again; running traces wait for a later sync. Large payloads go with their trace. " +
        "Examples: victor trace sync --to postgres://ci@db.internal/victor ; " +
        "victor trace sync --from postgres://ci@db.internal/victor --to ./traces --workflow nightly --since 7d"
    )
  )

/** The store commands, in the order `victor trace --help` lists them. */
export const storeCommands = [
  listCommand,
  showCommand,
  exportCommand,
  rmCommand,
  pruneCommand,
  pushCommand,
  syncCommand
] as const
