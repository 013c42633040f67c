/**
 * Pushing stored traces to an OTLP collector without losing one. A stored trace is marked pending in the store's
 * push ledger (`PushLedger`) before it is sent and pushed once the collector took it; every request the collector
 * takes is recorded as it goes, so a push cut short (collector down, deadline, Ctrl-C) is resumed by `victor trace
 * push --pending` after the requests already delivered (the spans' ids are the trace's own, so a request sent twice
 * gives the collector the same spans again, never new ones). Used by `workflow trace --otlp` / `workflow run --otlp`
 * after the trace is stored, and by `victor trace push`.
 *
 * What is recorded is where the trace went (the endpoint as `OtlpEndpoint.describe` prints it) and how far it got;
 * headers are never written nor printed. Every failure of a push is one line naming the endpoint, the trace and the
 * status; a ledger that cannot be written is a warning, never a reason to lose the push.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Path from "@effect/platform/Path"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as OtlpEndpoint from "@victor/exporter-otlp/OtlpEndpoint"
import * as OtlpPush from "@victor/exporter-otlp/OtlpPush"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { UsageError } from "../CliError.ts"
import type * as OtlpOptions from "../OtlpOptions.ts"
import * as VictorConfig from "../VictorConfig.ts"
import * as NodeNoFollowFileSystem from "./NodeNoFollowFileSystem.ts"
import * as PushLedger from "./PushLedger.ts"

type Env = Readonly<Record<string, string | undefined>>

/** A whole number from a variable, or undefined. */
const integerOf = (env: Env, name: string): number | undefined => {
  const text = env[name]
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined
}

/**
 * The push options every push of this process uses: the resource of the environment (`OTEL_SERVICE_NAME`,
 * `OTEL_RESOURCE_ATTRIBUTES`). Two variables are for tests only, undocumented for users:
 * `VICTOR_OTLP_RETRY_BASE_MS`, the first retry's delay (a test scripting a collector that answers 503 should not wait
 * half a second per retry), and `VICTOR_OTLP_SPANS_PER_REQUEST` (a resumed push is seen on a trace of a few spans).
 */
export const pushOptions = (env: Env = process.env): OtlpPush.PushOptions => {
  const retryBaseMillis = integerOf(env, "VICTOR_OTLP_RETRY_BASE_MS")
  const spansPerRequest = integerOf(env, "VICTOR_OTLP_SPANS_PER_REQUEST")
  return {
    ...OtlpEndpoint.resourceOptions(env),
    ...(retryBaseMillis === undefined ? {} : { retryBaseMillis }),
    ...(spansPerRequest === undefined ? {} : { spansPerRequest })
  }
}

/** The ledger of the store in `directory`, with Node's no-follow file operations. */
export const ledger = (
  directory: string
): Effect.Effect<PushLedger.PushLedger, never, FileSystem.FileSystem | Path.Path> =>
  Effect.provide(PushLedger.make(directory), NodeNoFollowFileSystem.layer)

/** Why a push stopped, without the endpoint its message starts with: `HTTP 401 Unauthorized`, `unavailable ...`. */
export const detailOf = (error: OtlpPush.PushError): string => {
  const prefix = `OTLP endpoint ${error.endpoint} `
  const text = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message
  return text.replace(/^rejected the trace: /, "").replace(/^is /, "")
}

/** The statuses with which a collector would refuse every trace alike (credentials, a wrong URL). */
const endpointWide = new Set([401, 403, 404, 405, 407])

/** Whether the next trace would fail the same way: a collector that is down, or refuses every trace alike. */
export const stopsEveryPush = (error: OtlpPush.PushError): boolean =>
  error.reason === "Unavailable" || (error.status !== undefined && endpointWide.has(error.status))

/** What a push delivered, counting what earlier pushes of the trace had delivered to the same endpoint. */
export interface Delivered extends OtlpPush.PushReceipt {
  /** The endpoint, as `OtlpEndpoint.describe` prints it. */
  readonly endpoint: string
  /** Requests skipped because an earlier push had delivered them. */
  readonly resumedAfter: number
}

const warn = (error: PushLedger.PushLedgerError) => Effect.logWarning(`push ledger: ${error.message}`)

/**
 * Pushes a trace; with a ledger (a stored trace), marks it pending first, records each request the collector takes,
 * and marks it pushed at the end, or leaves it pending with the reason. A push to the endpoint an earlier one of the
 * trace stopped on resumes after the requests that one delivered. Never fails: the outcome is the value.
 */
export const push = (
  trace: WorkflowTrace.WorkflowTrace,
  endpoint: OtlpEndpoint.Endpoint,
  options: { readonly ledger: PushLedger.PushLedger | undefined; readonly push: OtlpPush.PushOptions }
): Effect.Effect<Either.Either<Delivered, OtlpPush.PushError>, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const target = OtlpEndpoint.describe(endpoint)
    const book = options.ledger
    const previous = book === undefined
      ? Option.none<PushLedger.Entry>()
      : yield* book.read(trace.traceId).pipe(Effect.tapError(warn), Effect.orElseSucceed(() => Option.none()))
    // Requests an earlier push delivered count only for the same collector and encoding.
    const resumable = Option.filter(previous, (entry) =>
      entry.state === "pending" && entry.endpoint === target && entry.protocol === endpoint.protocol)
    const startAt = Option.match(resumable, { onNone: () => 0, onSome: (entry) => entry.deliveredRequests })
    const base = {
      traceId: trace.traceId,
      endpoint: target,
      protocol: endpoint.protocol,
      attempts: Option.match(previous, { onNone: () => 0, onSome: (entry) => entry.attempts }) + 1
    }
    const record = (entry: Omit<PushLedger.EntryInput, keyof typeof base>) =>
      book === undefined ? Effect.void : Effect.ignore(Effect.tapError(book.write({ ...base, ...entry }), warn))
    const lastError = Option.match(resumable, { onNone: () => null, onSome: (entry) => entry.lastError })
    // Pending before anything is sent: a push cut short by anything, even kill -9, leaves the trace to resend.
    yield* record({ state: "pending", deliveredRequests: startAt, lastError })
    const pushed = yield* OtlpPush.push(trace, endpoint, {
      ...options.push,
      startAtRequest: startAt,
      onRequestDelivered: (index) => record({ state: "pending", deliveredRequests: index + 1, lastError })
    }).pipe(Effect.either)
    if (Either.isRight(pushed)) {
      const receipt = pushed.right
      yield* record({ state: "pushed", deliveredRequests: startAt + receipt.requests, lastError: null })
      return Either.right({ ...receipt, endpoint: target, resumedAfter: startAt })
    }
    const error = pushed.left
    yield* record({ state: "pending", deliveredRequests: error.deliveredRequests, lastError: detailOf(error) })
    return Either.left(error)
  })

/**
 * The HTTP client of a push: Node's `http` (its agent is let go with the layer). Not `fetch`: Node's keeps the process
 * alive a few hundred milliseconds after its last answer, which every `victor` that pushed would wait before exiting.
 */
export const httpLayer = NodeHttpClient.layer

// ---------------------------------------------------------------------------------------------------------------
// After a run
// ---------------------------------------------------------------------------------------------------------------

/** Where a run's trace goes once stored, and how long the push may take. */
export interface RunPlan {
  readonly endpoint: OtlpEndpoint.Endpoint
  readonly deadlineMillis: number
}

/** A message of `OtlpEndpoint` in the words of the run's flags. */
const inRunFlags = (message: string) =>
  message.replaceAll("--endpoint", "--otlp").replaceAll("--header", "--otlp-header").replaceAll("--timeout", "--otlp-timeout")

const hasEnvironmentEndpoint = (env: Env) =>
  ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"].some((name) => (env[name]?.trim() ?? "") !== "")

/**
 * The push a run asked for, checked before the run (a bad URL or header is bad input: nothing runs): `--otlp`, or
 * `otlp.endpoint` in `victor.config.json`; none otherwise, whatever `OTEL_EXPORTER_OTLP_*` says (those variables name
 * a collector for programs that push by themselves; a run pushes only when asked).
 */
export const planRun = (
  request: OtlpOptions.Request,
  config: typeof VictorConfig.VictorConfig.Type,
  configFile: string = VictorConfig.FILE_NAME,
  env: Env = process.env
): Effect.Effect<RunPlan | undefined, UsageError> => {
  const configured = config.otlp?.endpoint
  if (!request.enabled && configured === undefined) {
    const stray = request.headers.length > 0 ? "--otlp-header" : request.timeoutMillis !== undefined ? "--otlp-timeout" : undefined
    return stray === undefined
      ? Effect.succeed(undefined)
      : Effect.fail(new UsageError({ description: `${stray} applies to a push: add --otlp, e.g. --otlp ${stray} ...` }))
  }
  if (request.timeoutMillis !== undefined && request.timeoutMillis < 1) {
    return Effect.fail(
      new UsageError({ description: `--otlp-timeout must be at least 1 (milliseconds), not ${request.timeoutMillis}; e.g. --otlp-timeout 3000` })
    )
  }
  // The flag's URL, else the environment's, else the config's.
  const url = request.endpoint ?? (hasEnvironmentEndpoint(env) ? undefined : configured)
  return Either.match(
    OtlpEndpoint.resolve(env, {
      endpoint: url,
      headers: request.headers,
      ...(request.timeoutMillis === undefined ? {} : { timeoutMillis: request.timeoutMillis })
    }),
    {
      onLeft: (error) =>
        Effect.fail(new UsageError({
          description: url !== undefined && url === configured && request.endpoint === undefined
            ? `${configFile}: otlp.endpoint: ${error.message.replace(/^--endpoint /, "")}`
            : inRunFlags(error.message)
        })),
      onRight: (endpoint) => Effect.succeed({ endpoint, deadlineMillis: endpoint.timeoutMillis })
    }
  )
}

/** Attempts per request of a run's push: a run waits for a collector that is down only briefly. */
const runMaxAttempts = 3

/**
 * Pushes a run's stored trace as `planRun` planned, or, for a cancelled run, only marks it pending. Runs inside the
 * command's uninterruptible ending: `interruptible` (its `restore`) lets a signal cut the push short, which leaves the
 * trace pending. A failure is one line on stderr; the run's exit code stays its own.
 */
export const afterRun = (
  plan: RunPlan,
  trace: WorkflowTrace.WorkflowTrace,
  options: {
    readonly storeDirectory: string
    readonly cancelled: boolean
    /** Where the line saying it was pushed goes: the summary's stream. */
    readonly say: (line: string) => Effect.Effect<void>
    readonly interruptible: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  }
): Effect.Effect<void, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const target = OtlpEndpoint.describe(plan.endpoint)
    const book = yield* ledger(options.storeDirectory)
    const later = "send it later with: victor trace push --pending"
    if (options.cancelled) {
      const previous = yield* book.read(trace.traceId).pipe(Effect.orElseSucceed(() => Option.none()))
      yield* Effect.ignore(Effect.tapError(
        book.write({
          traceId: trace.traceId,
          state: "pending",
          endpoint: target,
          protocol: plan.endpoint.protocol,
          deliveredRequests: 0,
          attempts: Option.match(previous, { onNone: () => 0, onSome: (entry) => entry.attempts }),
          lastError: "cancelled before the push"
        }),
        warn
      ))
      yield* Console.error(`victor: trace ${trace.traceId} stored; not pushed to ${target} (the run was cancelled); ${later}`)
      return
    }
    const exit = yield* Effect.exit(options.interruptible(
      push(trace, plan.endpoint, {
        ledger: book,
        push: { ...pushOptions(), deadlineMillis: plan.deadlineMillis, maxAttempts: runMaxAttempts }
      }).pipe(Effect.provide(httpLayer))
    ))
    if (Exit.isFailure(exit)) {
      yield* Console.error(`victor: trace ${trace.traceId} stored; the push to ${target} was cancelled; ${later}`)
      return
    }
    const outcome = exit.value
    if (Either.isRight(outcome)) {
      const { requests, spans } = outcome.right
      yield* options.say(`Pushed trace ${trace.traceId} to ${target} (${spans} span${spans === 1 ? "" : "s"}, ${requests} request${requests === 1 ? "" : "s"})`)
      return
    }
    const error = outcome.left
    yield* Console.error(
      error.reason === "Rejected"
        ? `victor: trace ${trace.traceId} stored; not pushed: OTLP endpoint ${target} rejected it (${detailOf(error)}); ` +
          "once that is fixed, send it with: victor trace push --pending"
        : `victor: trace ${trace.traceId} stored; not yet pushed to ${target} (${detailOf(error)}); ${later}`
    )
  })
