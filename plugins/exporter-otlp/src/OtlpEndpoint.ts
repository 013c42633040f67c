/**
 * Where and how an OTLP/HTTP push goes, resolved from the environment as every OpenTelemetry SDK resolves it (the
 * `OTEL_EXPORTER_OTLP_*` variables of the OTLP exporter specification), with command-line overrides on top.
 *
 * | setting | flag (`Overrides`) | traces variable, then generic variable | default |
 * |---|---|---|---|
 * | URL | `endpoint` | `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (as is), `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`) | `http://localhost:4318/v1/traces` |
 * | headers | `headers` (`K=V` each, raw) | `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`, percent-decoded) | none |
 * | protocol | `protocol` | `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` |
 * | compression | `compression` | `OTEL_EXPORTER_OTLP_TRACES_COMPRESSION`, `OTEL_EXPORTER_OTLP_COMPRESSION` | `gzip` |
 * | timeout (ms) | `timeoutMillis` | `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`, `OTEL_EXPORTER_OTLP_TIMEOUT` | `10000` |
 *
 * An empty variable counts as unset, as the specification asks. Headers merge: the generic variable's, then the
 * traces variable's, then the flags' (a later one wins for the same name; names are lower-cased). Credentials in the
 * URL (`http://user:pass@host`) become a Basic `authorization` header, because `fetch` refuses such URLs.
 * Compression defaults to `gzip` (the specification's default is `none`): spans compress about tenfold and every
 * collector accepts gzip. gRPC is not supported. Runtime-neutral: no `node:*` import (the plugin runs under Deno).
 */
import * as Data from "effect/Data"
import * as Either from "effect/Either"

/** The OTLP/HTTP encodings. */
export type Protocol = "http/protobuf" | "http/json"

/** A resolved push target. */
export interface Endpoint {
  /** The full traces URL, e.g. `http://localhost:4318/v1/traces`; never holds userinfo credentials. */
  readonly url: string
  readonly protocol: Protocol
  /** Extra request headers (lower-case names); secrets, never to be printed. */
  readonly headers: Readonly<Record<string, string>>
  readonly compression: "gzip" | "none"
  /** The time one request may take. */
  readonly timeoutMillis: number
}

/** Settings from command-line flags; each wins over the environment. */
export interface Overrides {
  /**
   * A URL with a path other than `/` is the full traces URL (like `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); a bare
   * origin (`http://collector:4318` or `http://collector:4318/`) gets `/v1/traces` (like
   * `OTEL_EXPORTER_OTLP_ENDPOINT`).
   */
  readonly endpoint?: string | undefined
  /** Headers as `K=V`, one per flag, taken literally (no percent-decoding: a flag holds one header, commas and all). */
  readonly headers?: ReadonlyArray<string> | undefined
  readonly protocol?: string | undefined
  readonly compression?: string | undefined
  readonly timeoutMillis?: number | undefined
}

/** A setting that cannot be used; the message names the variable or flag and how to fix it. */
export class EndpointError extends Data.TaggedError("EndpointError")<{ readonly message: string }> {}

/** The URL used when nothing is set: a local collector's OTLP/HTTP traces receiver. */
export const defaultUrl = "http://localhost:4318/v1/traces"

/** The default `timeoutMillis`, as in the specification. */
export const defaultTimeoutMillis = 10_000

type Env = Readonly<Record<string, string | undefined>>

const tracesPath = "/v1/traces"

/** A variable's value, or undefined when unset or empty (the specification treats empty as unset). */
const read = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim()
  return value === undefined || value === "" ? undefined : value
}

/** The first variable of `names` that is set, with its name (for messages). */
const first = (env: Env, ...names: ReadonlyArray<string>): { name: string; value: string } | undefined => {
  for (const name of names) {
    const value = read(env, name)
    if (value !== undefined) return { name, value }
  }
  return undefined
}

const decodePercent = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
// Characters a header value may not hold (they would split or end the header line).
const unsafeValue = /[\r\n\0]/

/** `k=v,k2=v2` with percent-decoding (W3C baggage-like), as the OpenTelemetry SDKs parse `*_HEADERS`. */
const parseList = (
  text: string,
  source: string,
  into: Record<string, string>
): Either.Either<Record<string, string>, EndpointError> => {
  for (const entry of text.split(",")) {
    if (entry.trim() === "") continue
    const at = entry.indexOf("=")
    // The key is safe to name: keys are not secret, values are.
    const rawKey = (at < 0 ? entry : entry.slice(0, at)).trim()
    if (at < 0) {
      return Either.left(
        new EndpointError({ message: `${source}: "${rawKey}" has no "=": write it as key=value (comma-separated)` })
      )
    }
    const key = decodePercent(rawKey)
    const value = decodePercent(entry.slice(at + 1).trim())
    if (key === undefined || value === undefined) {
      return Either.left(
        new EndpointError({ message: `${source}: the entry for "${rawKey}" has a bad %-escape: write % as %25` })
      )
    }
    const checked = checkHeader(key, value, source)
    if (Either.isLeft(checked)) return Either.left(checked.left)
    into[key.toLowerCase()] = value
  }
  return Either.right(into)
}

const checkHeader = (key: string, value: string, source: string): Either.Either<void, EndpointError> =>
  !tokenPattern.test(key)
    ? Either.left(new EndpointError({ message: `${source}: "${key}" is not a valid header name` }))
    : unsafeValue.test(value)
    ? Either.left(new EndpointError({ message: `${source}: the value of "${key}" holds a line break; remove it` }))
    : Either.right(undefined)

const basicAuth = (user: string, password: string): string => {
  const bytes = new TextEncoder().encode(`${user}:${password}`)
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return `Basic ${btoa(binary)}`
}

/** Parses and checks a URL; `append` adds `/v1/traces` to its path (a base endpoint). */
const parseUrl = (
  text: string,
  source: string,
  append: boolean
): Either.Either<URL, EndpointError> => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return Either.left(
      new EndpointError({
        message: `${source} "${describe(text)}" is not a URL: write it in full, e.g. http://localhost:4318`
      })
    )
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const hint = url.protocol === "grpc:" ? " (OTLP over gRPC is not supported)" : ""
    return Either.left(
      new EndpointError({
        message: `${source} "${describe(text)}" is not an http(s) URL${hint}: use e.g. http://localhost:4318`
      })
    )
  }
  if (append) url.pathname = url.pathname.replace(/\/+$/, "") + tracesPath
  return Either.right(url)
}

const protocolOf = (text: string, source: string): Either.Either<Protocol, EndpointError> => {
  const value = text.trim().toLowerCase()
  if (value === "http/protobuf" || value === "http/json") return Either.right(value)
  if (value === "grpc") {
    return Either.left(
      new EndpointError({
        message: `${source}: OTLP over gRPC is not supported; use http/protobuf (port 4318)`
      })
    )
  }
  return Either.left(
    new EndpointError({ message: `${source}: unknown protocol "${text}"; use http/protobuf or http/json` })
  )
}

const compressionOf = (text: string, source: string): Either.Either<"gzip" | "none", EndpointError> => {
  const value = text.trim().toLowerCase()
  return value === "gzip" || value === "none"
    ? Either.right(value)
    : Either.left(new EndpointError({ message: `${source}: unknown compression "${text}"; use gzip or none` }))
}

const timeoutOf = (value: number, source: string): Either.Either<number, EndpointError> =>
  Number.isFinite(value) && value > 0
    ? Either.right(value)
    : Either.left(
      new EndpointError({ message: `${source}: the timeout must be a positive number of milliseconds, e.g. 10000` })
    )

/**
 * The endpoint a push goes to, from the environment (`process.env`, `Deno.env.toObject()`) and command-line
 * overrides; see the module header for the rules.
 */
export const resolve = (env: Env, overrides: Overrides = {}): Either.Either<Endpoint, EndpointError> =>
  Either.gen(function*() {
    // The URL: the flag, the traces variable as is, the generic variable plus /v1/traces, the default.
    const flag = overrides.endpoint?.trim()
    const traces = read(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    const base = read(env, "OTEL_EXPORTER_OTLP_ENDPOINT")
    let url: URL
    if (flag !== undefined && flag !== "") {
      const parsed = yield* parseUrl(flag, "--endpoint", false)
      url = parsed.pathname === "/" || parsed.pathname === "" ? yield* parseUrl(flag, "--endpoint", true) : parsed
    } else if (traces !== undefined) url = yield* parseUrl(traces, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", false)
    else if (base !== undefined) url = yield* parseUrl(base, "OTEL_EXPORTER_OTLP_ENDPOINT", true)
    else url = new URL(defaultUrl)

    const headers: Record<string, string> = {}
    // Credentials in the URL: a Basic header (an explicit authorization header below still wins), out of the URL.
    if (url.username !== "" || url.password !== "") {
      headers["authorization"] = basicAuth(decodePercent(url.username) ?? "", decodePercent(url.password) ?? "")
      url.username = ""
      url.password = ""
    }
    for (const name of ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"]) {
      const value = read(env, name)
      if (value !== undefined) yield* parseList(value, name, headers)
    }
    for (const header of overrides.headers ?? []) {
      const at = header.indexOf("=")
      const key = (at < 0 ? header : header.slice(0, at)).trim()
      if (at < 0 || key === "") {
        return yield* Either.left(
          new EndpointError({
            message: `--header "${key}" is not KEY=VALUE: write it as e.g. --header "authorization=Bearer <token>"`
          })
        )
      }
      const value = header.slice(at + 1).trim()
      yield* checkHeader(key, value, "--header")
      headers[key.toLowerCase()] = value
    }

    const protocolSource = overrides.protocol !== undefined && overrides.protocol.trim() !== ""
      ? { name: "--protocol", value: overrides.protocol }
      : first(env, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
    const protocol = protocolSource === undefined
      ? "http/protobuf"
      : yield* protocolOf(protocolSource.value, protocolSource.name)

    const compressionSource = overrides.compression !== undefined && overrides.compression.trim() !== ""
      ? { name: "--compression", value: overrides.compression }
      : first(env, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION")
    const compression = compressionSource === undefined
      ? "gzip"
      : yield* compressionOf(compressionSource.value, compressionSource.name)

    const timeoutSource = first(env, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT")
    const timeoutMillis = overrides.timeoutMillis !== undefined
      ? yield* timeoutOf(overrides.timeoutMillis, "--timeout")
      : timeoutSource === undefined
      ? defaultTimeoutMillis
      : yield* timeoutOf(
        /^\d+(\.\d+)?$/.test(timeoutSource.value) ? Number(timeoutSource.value) : Number.NaN,
        timeoutSource.name
      )

    return { url: url.href, protocol, headers, compression, timeoutMillis }
  })

/**
 * The resource of pushed spans from `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`,
 * percent-decoded), in the shape of `OtlpSpans.Options`. `OTEL_SERVICE_NAME` wins over a `service.name` attribute.
 * A malformed `OTEL_RESOURCE_ATTRIBUTES` is ignored whole, as the specification asks.
 */
export const resourceOptions = (
  env: Env
): { serviceName?: string; resourceAttributes?: Record<string, string> } => {
  const attributes: Record<string, string> = {}
  const text = read(env, "OTEL_RESOURCE_ATTRIBUTES")
  if (text !== undefined) {
    for (const entry of text.split(",")) {
      if (entry.trim() === "") continue
      const at = entry.indexOf("=")
      const key = at < 0 ? undefined : decodePercent(entry.slice(0, at).trim())
      const value = at < 0 ? undefined : decodePercent(entry.slice(at + 1).trim())
      if (key === undefined || key === "" || value === undefined) {
        for (const k of Object.keys(attributes)) delete attributes[k]
        break
      }
      attributes[key] = value
    }
  }
  const serviceName = read(env, "OTEL_SERVICE_NAME") ?? attributes["service.name"]
  delete attributes["service.name"]
  return {
    ...(serviceName === undefined ? {} : { serviceName }),
    ...(Object.keys(attributes).length === 0 ? {} : { resourceAttributes: attributes })
  }
}

/**
 * An endpoint's URL safe to print and to store: userinfo dropped, query values replaced by `***` (collectors that
 * take an API key in the query string exist). Works on strings that are not URLs too.
 */
export const describe = (endpoint: Endpoint | string): string => {
  const text = typeof endpoint === "string" ? endpoint : endpoint.url
  try {
    const url = new URL(text)
    url.username = ""
    url.password = ""
    const names = [...url.searchParams.keys()]
    url.search = ""
    url.hash = ""
    const query = names.length === 0 ? "" : "?" + names.map((name) => `${encodeURIComponent(name)}=***`).join("&")
    return url.href + query
  } catch {
    return text
      .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1")
      .replace(/([?&][^=&#]*)=[^&#]*/g, "$1=***")
      .replace(/#.*$/, "")
  }
}
