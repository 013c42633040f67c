/**
 * Who may use `victor ui`: whoever holds the random token printed in its URL. Every request must carry it, as
 * `?token=` (the pages, their assets and the event streams, which cannot set headers) or `Authorization: Bearer`
 * (the pages' API calls); one without it gets 401, one with another token 403, before any route runs. Nothing else
 * grants access: no cookie (another page of the browser could ride on it), no CORS headers (no other origin may read a
 * response), so a web page the user visits can neither guess the port's token nor read what the server says.
 *
 * Every response also gets the headers that keep it where it belongs: `no-store` (traces hold data), `nosniff`,
 * `no-referrer` (the token is in the URL), and a Content-Security-Policy for the explorer's own pages unless a route
 * set its own (the HTML report and the comparison report keep theirs and are sandboxed).
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import { randomBytes, timingSafeEqual } from "node:crypto"

/** A fresh token: 32 random bytes, base64url (43 characters, safe in a URL as it is). */
export const makeToken = (): string => randomBytes(32).toString("base64url")

/** How a request stands with the token. */
export type Verdict = "Granted" | "Missing" | "Wrong"

/** Compares in constant time, so the time a wrong token takes says nothing about the right one. */
const same = (given: string, token: string): boolean => {
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The token a request carries: `Authorization: Bearer <token>`, else `?token=`. */
export const tokenOf = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const authorization = request.headers["authorization"]
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
    if (match !== null) return match[1]
  }
  const query = request.url.indexOf("?")
  if (query < 0) return undefined
  return new URLSearchParams(request.url.slice(query + 1)).get("token") ?? undefined
}

/** Whether a request may go on. */
export const verdict = (request: HttpServerRequest.HttpServerRequest, token: string): Verdict => {
  const given = tokenOf(request)
  return given === undefined || given === "" ? "Missing" : same(given, token) ? "Granted" : "Wrong"
}

/** The policy of the explorer's pages: their own scripts, styles and API only; never framed by another page. */
export const pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/**
 * The policy added to a report served as it is (it keeps its own policy too): a sandbox, so that its scripts run in
 * an origin of their own, apart from the explorer's token and API, shown only in the explorer's frame.
 */
export const reportPolicy = "sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox; frame-ancestors 'self'"

const common = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-resource-policy": "same-origin"
}

/** Adds the common headers, and the page policy to a response that has no policy of its own. */
export const withHeaders = (response: HttpServerResponse.HttpServerResponse): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.setHeaders(
    response,
    Headers.has(response.headers, "content-security-policy")
      ? common
      : { ...common, "content-security-policy": pagePolicy }
  )

const refusal = (status: 401 | 403, text: string) =>
  withHeaders(
    HttpServerResponse.text(`${text}\n`, {
      status,
      headers: status === 401 ? { "www-authenticate": 'Bearer realm="victor ui"' } : {}
    })
  )

/** Lets a request through to `app` only with the token; every response gets the common headers. */
export const guard = (token: string) =>
<E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, E, R | HttpServerRequest.HttpServerRequest> =>
  Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
    switch (verdict(request, token)) {
      case "Missing":
        return Effect.succeed(refusal(401, "victor ui: this address needs the token victor ui printed (?token=...)"))
      case "Wrong":
        return Effect.succeed(refusal(403, "victor ui: wrong token; use the address victor ui printed"))
      case "Granted":
        return Effect.map(app, withHeaders)
    }
  })
