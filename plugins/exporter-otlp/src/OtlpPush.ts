/**
 * Pushing a trace to an OTLP/HTTP collector (the "send" half of an OTLP exporter, apart from the mapping in
 * `OtlpSpans` and the resolution of where to send in `OtlpEndpoint`), over the `HttpClient` in context
 * (`FetchHttpClient.layer` in Node and Deno).
 *
 * The spans go in requests of about `spansPerRequest` spans (a node's spans are never split), one after the other,
 * each retried as the OTLP specification asks: on 429, 502, 503, 504, network errors and timeouts, with exponential
 * backoff and jitter or the collector's `Retry-After`. Span ids are derived from the trace, so a request sent twice
 * (a retry after a lost answer, or a push resumed with `startAtRequest`) gives the collector the same spans again
 * rather than new ones. Header values never appear in a message: they are credentials.
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { JsonTraceSerializer, ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer"
import type { ReadableSpan } from "@opentelemetry/sdk-trace"
import type { WorkflowTrace } from "@victor/core/WorkflowTrace"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as OtlpEndpoint from "./OtlpEndpoint.ts"
import * as OtlpSpans from "./OtlpSpans.ts"

/** How a trace is pushed: the mapping's options, and how requests are cut, retried and resumed. */
export interface PushOptions extends OtlpSpans.Options {
  /** Spans per request (a node's spans are never split); defaults to 1000. */
  readonly spansPerRequest?: number
  /** Attempts per request, the first included; defaults to 5. */
  readonly maxAttempts?: number
  /**
   * The budget of the whole push, in milliseconds; defaults to `Infinity`. A request's timeout is cut to what is
   * left, and when the next retry (or the wait its `Retry-After` asks) would pass it, the push stops as "Unavailable".
   */
  readonly deadlineMillis?: number
  /** Requests to skip, delivered by an earlier push that stopped (its `PushError.deliveredRequests`); defaults to 0. */
  readonly startAtRequest?: number
  /** Called after each accepted request with its index (counting skipped ones), so a caller can record progress. */
  readonly onRequestDelivered?: (index: number) => Effect.Effect<void>
  /** The first retry's delay before jitter, doubling with each retry up to 30 s; defaults to 500. */
  readonly retryBaseMillis?: number
}

/** What a push delivered. */
export interface PushReceipt {
  /** Requests accepted by this push (not counting those skipped by `startAtRequest`). */
  readonly requests: number
  /** Spans in those requests. */
  readonly spans: number
  /** HTTP attempts made, retries included. */
  readonly attempts: number
  /** Spans the collector said it dropped (its `partial_success.rejected_spans`). */
  readonly rejectedSpans: number
}

/**
 * A push that stopped: "Rejected" when the collector refused a request (no retry helps), "Unavailable" when it could
 * not be reached or kept asking to retry past `maxAttempts` or the deadline. `deliveredRequests` counts the requests
 * accepted so far, skipped ones included: pass it as `startAtRequest` to resume.
 */
export class PushError extends Data.TaggedError("PushError")<{
  /** The endpoint, as `OtlpEndpoint.describe` prints it. */
  readonly endpoint: string
  readonly status?: number
  readonly reason: "Rejected" | "Unavailable"
  readonly deliveredRequests: number
  readonly message: string
}> {}

/** The default of `spansPerRequest`. */
export const defaultSpansPerRequest = 1000

/** The default of `maxAttempts`. */
export const defaultMaxAttempts = 5

/** The default of `retryBaseMillis`. */
export const defaultRetryBaseMillis = 500

/** The longest wait between attempts that backoff picks (a `Retry-After` may ask for more). */
export const maxBackoffMillis = 30_000

/** The statuses the OTLP specification says to retry. */
const retryable = new Set([429, 502, 503, 504])

const reasons: Readonly<Record<number, string>> = {
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
  408: "Request Timeout", 409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type",
  422: "Unprocessable Content", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
  502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"
}

const systemErrors: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "host not found",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable"
}

const statusText = (status: number): string =>
  reasons[status] === undefined ? `HTTP ${status}` : `HTTP ${status} ${reasons[status]}`

/** What one attempt came to. */
type Outcome =
  | { readonly _tag: "Delivered"; readonly rejectedSpans: number }
  | { readonly _tag: "Retry"; readonly what: string; readonly status?: number; readonly retryAfterMillis?: number }
  | { readonly _tag: "Rejected"; readonly what: string; readonly status: number }
  | { readonly _tag: "Broken"; readonly what: string }

/** A body compressed with the web `CompressionStream` (global in Node 18+, Deno and browsers). */
const gzip = (bytes: Uint8Array): Effect.Effect<Uint8Array> =>
  Effect.promise(async () => {
    const stream = new CompressionStream("gzip")
    const writer = stream.writable.getWriter()
    // A view of a plain ArrayBuffer, as the stream's types ask (the serializers' output is one: no copy then).
    const chunk: Uint8Array<ArrayBuffer> = bytes.buffer instanceof ArrayBuffer
      ? bytes as Uint8Array<ArrayBuffer>
      : new Uint8Array(bytes)
    // Written while read, or a large body would wait on a reader that never starts.
    const written = writer.write(chunk).then(() => writer.close())
    const reader = stream.readable.getReader()
    const chunks: Array<Uint8Array> = []
    let size = 0
    for (;;) {
      const next = await reader.read()
      if (next.done) break
      chunks.push(next.value)
      size += next.value.byteLength
    }
    await written
    const out = new Uint8Array(size)
    let offset = 0
    for (const chunk of chunks) {
      out.set(chunk, offset)
      offset += chunk.byteLength
    }
    return out
  })

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP-date. */
const retryAfterOf = (value: string | undefined, now: number): number | undefined => {
  const text = value?.trim()
  if (text === undefined || text === "") return undefined
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** `google.rpc.Status.message` (field 2) of a protobuf error body, read by hand: a dozen lines, no decoder. */
const statusMessageOf = (bytes: Uint8Array): string | undefined => {
  let i = 0
  const varint = (): number | undefined => {
    let value = 0
    for (let shift = 0; i < bytes.length && shift < 64; shift += 7) {
      const byte = bytes[i++]!
      value += (byte & 0x7f) * 2 ** shift
      if (byte < 0x80) return value
    }
    return undefined
  }
  while (i < bytes.length) {
    const tag = varint()
    if (tag === undefined) return undefined
    const wire = tag % 8
    if (wire === 0 && varint() !== undefined) continue
    if (wire === 1 || wire === 5) {
      i += wire === 1 ? 8 : 4
      continue
    }
    const length = wire === 2 ? varint() : undefined
    if (length === undefined || i + length > bytes.length) return undefined
    if (tag >>> 3 === 2) return new TextDecoder().decode(bytes.subarray(i, i + length))
    i += length
  }
  return undefined
}

/** The collector's own words from a small text, JSON or protobuf (`google.rpc.Status`) error body. */
const collectorTextOf = (bytes: Uint8Array, contentType: string): string | undefined => {
  if (bytes.byteLength === 0 || bytes.byteLength > 4096) return undefined
  if (contentType.includes("protobuf")) return statusMessageOf(bytes)
  const text = new TextDecoder().decode(bytes)
  if (contentType.includes("json")) {
    try {
      const parsed: unknown = JSON.parse(text)
      if (typeof parsed === "object" && parsed !== null) {
        const record = parsed as Record<string, unknown>
        for (const key of ["message", "error"]) if (typeof record[key] === "string") return record[key]
      }
    } catch {
      // not JSON after all: the text itself
    }
    return text
  }
  return contentType === "" || contentType.startsWith("text/plain") ? text : undefined
}

/** The spans the collector dropped, from a 2xx body's `partial_success`; 0 when there is none or it is unreadable. */
const rejectedSpansOf = (bytes: Uint8Array, contentType: string): number => {
  if (bytes.byteLength === 0) return 0
  try {
    const serializer = contentType.includes("json")
      ? JsonTraceSerializer
      : contentType.includes("protobuf")
      ? ProtobufTraceSerializer
      : undefined
    const count = Number(serializer?.deserializeResponse(bytes).partialSuccess?.rejectedSpans ?? 0)
    return Number.isFinite(count) && count > 0 ? count : 0
  } catch {
    return 0
  }
}

/**
 * Pushes the spans of a trace to an OTLP/HTTP endpoint, one request after the other, retrying each as the OTLP
 * specification asks. Fails with a `PushError` whose message is one line naming the endpoint (`describe`d) and the
 * last status or network error.
 */
export const push = (
  trace: WorkflowTrace,
  endpoint: OtlpEndpoint.Endpoint,
  options: PushOptions = {}
): Effect.Effect<PushReceipt, PushError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    // The exporter's own requests are not traced, as OpenTelemetry exporters suppress tracing for theirs: no span
    // per request (it would be exported in turn) and no traceparent of the pushing process in the collector's logs.
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.withTracerDisabledWhen(() => true),
      HttpClient.withTracerPropagation(false)
    )
    const target = OtlpEndpoint.describe(endpoint)
    const size = positiveInt(options.spansPerRequest, defaultSpansPerRequest)
    const maxAttempts = positiveInt(options.maxAttempts, defaultMaxAttempts)
    const startAt = Math.max(0, Math.floor(options.startAtRequest ?? 0))
    const base = options.retryBaseMillis !== undefined && options.retryBaseMillis >= 0
      ? options.retryBaseMillis
      : defaultRetryBaseMillis
    const budget = options.deadlineMillis !== undefined && options.deadlineMillis >= 0
      ? options.deadlineMillis
      : Infinity
    const deadline = (yield* Clock.currentTimeMillis) + budget
    const json = endpoint.protocol === "http/json"

    // Secrets the collector or the runtime might echo back: header values, and the credential part of each.
    const secrets = new Set<string>()
    for (const value of Object.values(endpoint.headers)) {
      secrets.add(value)
      secrets.add(value.slice(value.lastIndexOf(" ") + 1))
    }
    const scrub = (text: string): string => {
      let out = text.split(endpoint.url).join(target)
      for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("***")
      out = out.replace(/\s+/g, " ").trim()
      return out.length > 200 ? `${out.slice(0, 199)}…` : out
    }

    const networkText = (error: HttpClientError.HttpClientError): string => {
      if (error._tag === "ResponseError") return `the answer could not be read (${error.reason})`
      // Node's fetch: TypeError("fetch failed") caused by a system error with a code (ECONNREFUSED, ENOTFOUND, ...).
      let cause: unknown = error.cause
      let text = error.reason === "Transport" ? "network error" : `request error (${error.reason})`
      for (let depth = 0; depth < 5 && typeof cause === "object" && cause !== null; depth++) {
        const record = cause as { code?: unknown; message?: unknown; cause?: unknown }
        if (typeof record.code === "string" && /^E[A-Z]+$/.test(record.code)) {
          return `${systemErrors[record.code] ?? "network error"} (${record.code})`
        }
        if (typeof record.message === "string" && record.message !== "") text = scrub(record.message)
        cause = record.cause
      }
      return text
    }

    const headers = { "user-agent": `${OtlpSpans.scope.name}/${OtlpSpans.scope.version}`, ...endpoint.headers }

    /** One attempt, classified; never fails. */
    const attempt = (body: Uint8Array, timeoutMillis: number): Effect.Effect<Outcome> => {
      let request = HttpClientRequest.post(endpoint.url).pipe(
        HttpClientRequest.setHeaders(headers),
        HttpClientRequest.bodyUint8Array(body, json ? "application/json" : "application/x-protobuf")
      )
      if (endpoint.compression === "gzip") request = HttpClientRequest.setHeader(request, "content-encoding", "gzip")
      return client.execute(request).pipe(
        Effect.flatMap((response) => classify(response)),
        // A request that cannot be built (a bad URL, a body that cannot be encoded) fails the same way every time.
        Effect.catchAll((error) =>
          Effect.succeed<Outcome>(
            error._tag === "RequestError" && error.reason !== "Transport"
              ? { _tag: "Broken", what: networkText(error) }
              : { _tag: "Retry", what: networkText(error) }
          )
        ),
        Effect.timeoutOption(Duration.millis(timeoutMillis)),
        Effect.map(Option.getOrElse((): Outcome => ({
          _tag: "Retry",
          what: `no answer within ${Math.round(timeoutMillis)} ms`
        })))
      )
    }

    const classify = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<Outcome> =>
      Effect.gen(function*() {
        const bytes = yield* response.arrayBuffer.pipe(
          Effect.map((buffer) => new Uint8Array(buffer)),
          Effect.orElseSucceed(() => new Uint8Array(0))
        )
        const contentType = (response.headers["content-type"] ?? "").toLowerCase()
        const status = response.status
        if (status >= 200 && status < 300) {
          return { _tag: "Delivered", rejectedSpans: rejectedSpansOf(bytes, contentType) }
        }
        if (retryable.has(status)) {
          const retryAfterMillis = retryAfterOf(response.headers["retry-after"], yield* Clock.currentTimeMillis)
          const what = statusText(status)
          return retryAfterMillis === undefined
            ? { _tag: "Retry", what, status }
            : { _tag: "Retry", what, status, retryAfterMillis }
        }
        const said = collectorTextOf(bytes, contentType)
        const words = said === undefined ? "" : scrub(said)
        const what = words === "" ? statusText(status) : `${statusText(status)}: ${words}`
        return { _tag: "Rejected", status, what }
      })

    let attempts = 0
    // Doubling from `base`, capped, then ±20% of jitter (as opentelemetry-js) so that clients do not retry in step.
    const backoff = (retry: number) =>
      Effect.map(Random.next, (r) => Math.round(Math.min(maxBackoffMillis, base * 2 ** (retry - 1)) * (0.8 + 0.4 * r)))

    /** One request, delivered or failed after its retries; returns the spans the collector dropped. */
    const deliver = (body: Uint8Array, delivered: number): Effect.Effect<number, PushError> =>
      Effect.gen(function*() {
        const stop = (reason: "Rejected" | "Unavailable", message: string, status: number | undefined) =>
          new PushError({
            endpoint: target,
            reason,
            deliveredRequests: delivered,
            message: delivered === 0 ? message : `${message} (${delivered} earlier requests were delivered)`,
            ...(status === undefined ? {} : { status })
          })
        for (let n = 1;; n++) {
          const left = deadline - (yield* Clock.currentTimeMillis)
          if (left <= 0) {
            const message = `OTLP endpoint ${target} did not take the trace within the ${budget} ms deadline`
            return yield* stop("Unavailable", message, undefined)
          }
          attempts++
          const outcome = yield* attempt(body, Math.min(endpoint.timeoutMillis, left))
          if (outcome._tag === "Delivered") return outcome.rejectedSpans
          if (outcome._tag === "Rejected") {
            const message = `OTLP endpoint ${target} rejected the trace: ${outcome.what}`
            return yield* stop("Rejected", message, outcome.status)
          }
          if (outcome._tag === "Broken") {
            return yield* stop("Unavailable", `OTLP endpoint ${target} cannot be sent to: ${outcome.what}`, undefined)
          }
          if (n >= maxAttempts) {
            const tries = n === 1 ? "1 attempt" : `${n} attempts`
            const message = `OTLP endpoint ${target} is unavailable after ${tries}: ${outcome.what}`
            return yield* stop("Unavailable", message, outcome.status)
          }
          const wait = outcome.retryAfterMillis ?? (yield* backoff(n))
          if ((yield* Clock.currentTimeMillis) + wait >= deadline) {
            const message = `OTLP endpoint ${target} is unavailable: ${outcome.what}, ` +
              `and a retry in ${wait} ms would pass the ${budget} ms deadline`
            return yield* stop("Unavailable", message, outcome.status)
          }
          yield* Effect.sleep(Duration.millis(wait))
        }
      })

    let requests = 0
    let spans = 0
    let rejectedSpans = 0
    let index = 0
    const batches = OtlpSpans.batches(trace, options, size)
    for (;;) {
      const next: IteratorResult<Array<ReadableSpan>> = batches.next()
      if (next.done === true) break
      if (index < startAt) {
        index++
        continue
      }
      const encoded = (json ? JsonTraceSerializer : ProtobufTraceSerializer).serializeRequest(next.value) ??
        new Uint8Array(0)
      const body = endpoint.compression === "gzip" ? yield* gzip(encoded) : encoded
      rejectedSpans += yield* deliver(body, index)
      requests++
      spans += next.value.length
      if (options.onRequestDelivered !== undefined) yield* options.onRequestDelivered(index)
      index++
    }
    return { requests, spans, attempts, rejectedSpans }
  })

const positiveInt = (value: number | undefined, fallback: number): number =>
  value !== undefined && value >= 1 ? Math.floor(value) : fallback
