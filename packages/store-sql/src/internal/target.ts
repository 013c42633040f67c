/**
 * Which database the store talks to, said without credentials: every error, span and message names the server and
 * the database, never a password. A URL is masked before anything prints it, and a driver's message is scrubbed of
 * the password too (a driver may echo what it was given).
 */
import * as TraceStore from "@victor/core/TraceStore"
import type * as SqlError from "@effect/sql/SqlError"

/** What the store says about where its database is (`PostgreSQL postgres://victor:***@db.example:5432/traces`). */
export interface Target {
  readonly label: string
  /** Removes any secret (the password, as given or URL-encoded) from a text. */
  readonly scrub: (text: string) => string
}

const MASK = "***"

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** A scrubber that replaces every secret in a text with `***`. */
const scrubberOf = (secrets: ReadonlyArray<string>) => {
  const patterns = Array.from(new Set(secrets.filter((s) => s.length > 0)))
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
  if (patterns.length === 0) return (text: string) => maskParameters(maskInline(text))
  const pattern = new RegExp(patterns.join("|"), "g")
  return (text: string) => maskParameters(maskInline(text.replace(pattern, MASK)))
}

/**
 * The password of a URL as written: between `scheme://user:` and the last `@` (a password with an unencoded `@` or
 * `/` in it is taken whole; a URL with no `user:` part has none).
 */
const rawPassword = (url: string): { readonly start: number; readonly end: number } | undefined => {
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^:/?#@]*:/i.exec(url)
  if (userinfo === null) return undefined
  const end = url.lastIndexOf("@")
  return end < userinfo[0].length ? undefined : { start: userinfo[0].length, end }
}

// `password=...` in a query string or a key/value connection string.
const maskParameters = (text: string) =>
  text.replace(/(pass(?:word)?=)(?!\*\*\*(?:[&\s)]|$))[^&\s)]*/gi, `$1${MASK}`)

const maskInline = (text: string) => text.replace(/(\/\/[^/:@\s]*:)[^@\s]*@/g, `$1${MASK}@`)

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** The URL with its password masked (`postgres://victor:***@host:5432/db`), whether or not it parses. */
export const maskUrl = (url: string): string => {
  const password = rawPassword(url)
  const masked = password === undefined ? url : `${url.slice(0, password.start)}${MASK}${url.slice(password.end)}`
  return maskParameters(masked)
}

/** The target of a connection URL: the URL itself, its password masked (`PostgreSQL postgres://victor:***@db:5432/traces`). */
export const fromUrl = (url: string): Target => {
  const secrets: Array<string> = []
  const password = rawPassword(url)
  if (password !== undefined) {
    const raw = url.slice(password.start, password.end)
    secrets.push(raw, safeDecode(raw))
    // A driver may read an unencoded `@` or `/` in a password as the end of it: its pieces are secret too.
    for (const piece of raw.split(/[@/:?#]/)) if (piece.length >= 4 && piece !== raw) secrets.push(piece)
  }
  try {
    const parsed = new URL(url)
    if (parsed.password !== "") secrets.push(parsed.password, safeDecode(parsed.password))
    for (const [key, value] of parsed.searchParams) if (/pass/i.test(key)) secrets.push(value)
  } catch {
    // Not a URL the parser takes: what the patterns found is all there is.
  }
  for (const match of url.matchAll(/pass(?:word)?=([^&\s]*)/gi)) secrets.push(match[1]!, safeDecode(match[1]!))
  return { label: `PostgreSQL ${maskUrl(url)}`, scrub: scrubberOf(secrets) }
}

/** The target of a client whose configuration is known (host, port, database), or a generic one. */
export const fromConfig = (config: {
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly database?: string | undefined
  readonly username?: string | undefined
  readonly url?: unknown
  readonly password?: unknown
} | undefined): Target => {
  const scrub = (text: string) => maskParameters(maskInline(text))
  if (config === undefined) return { label: "the PostgreSQL database", scrub }
  const database = config.database ?? config.username ?? "postgres"
  const host = config.host ?? "localhost"
  return {
    label: `PostgreSQL database ${JSON.stringify(database)} at ${host}:${config.port ?? 5432}`,
    scrub
  }
}

/**
 * The driver's own words for a failure: the message of the innermost cause that has one (a `SqlError`'s cause is the
 * driver's error; a `MigrationError`'s is a `SqlError`), the messages inside an AggregateError (every address of a host
 * refused), else a code.
 */
export const reasonOf = (error: unknown): string => {
  const messageOf = (value: unknown): string | undefined => {
    if (typeof value !== "object" || value === null) return typeof value === "string" && value !== "" ? value : undefined
    const nested = (value as { readonly errors?: unknown }).errors
    if (Array.isArray(nested)) {
      const messages = nested.map(messageOf).filter((m): m is string => m !== undefined)
      if (messages.length > 0) return Array.from(new Set(messages)).join("; ")
    }
    const message = (value as { readonly message?: unknown }).message
    if (typeof message === "string" && message !== "") return message
    const code = (value as { readonly code?: unknown }).code
    return typeof code === "string" ? code : undefined
  }
  let reason: string | undefined
  let current: unknown = error
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    reason = messageOf(current) ?? reason
    current = typeof current === "object" ? (current as { readonly cause?: unknown }).cause : undefined
  }
  return reason ?? String(error)
}

/** The SQLSTATE of a failed statement (`40P01` for a deadlock), when the driver gave one. */
export const sqlStateOf = (error: SqlError.SqlError): string | undefined => {
  const code = (error.cause as { readonly code?: unknown } | undefined)?.code
  return typeof code === "string" ? code : undefined
}

/** An `Unavailable` error for a failed database operation: what was done, where, and the driver's reason. */
export const unavailable = (target: Target, what: string, traceId?: string) => (error: unknown): TraceStore.TraceStoreError =>
  new TraceStore.TraceStoreError({
    reason: "Unavailable",
    ...(traceId === undefined ? {} : { traceId }),
    description: target.scrub(`cannot ${what} (${target.label}): ${reasonOf(error)}`)
  })

/** A `Corrupt` error for something stored that cannot be read back. */
export const corrupt = (target: Target, what: string, traceId?: string): TraceStore.TraceStoreError =>
  new TraceStore.TraceStoreError({
    reason: "Corrupt",
    ...(traceId === undefined ? {} : { traceId }),
    description: `${what} (${target.label})`
  })
