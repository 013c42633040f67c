/**
 * The explorer's routes, GET only (nothing in it changes the store):
 *
 * | path | what |
 * |---|---|
 * | `/` , `/trace/:id`, `/compare` | the pages (`UiPages`), filled by their scripts |
 * | `/assets/*` | the style sheet and the scripts |
 * | `/api/traces` | a page of the history (`History.page`): `workflow`, `status`, `from`, `to`, `q`, `page`, `size` |
 * | `/api/workflows` | each workflow's latest durations, for the sparklines |
 * | `/api/traces/:id/live` | the trace's snapshots while it runs, as server-sent events (`LiveEvents`) |
 * | `/api/live` | the running traces, as server-sent events |
 * | `/api/compare` | the comparison of `base` and `head` (`CompareView`) |
 * | `/report/:id` | the HTML exporter's report of the trace, as it is (`TraceReport`) |
 * | `/compare/report` | the comparison plugin's HTML report, as it is |
 *
 * The token is checked before any of them (`UiAccess.guard`). An API error is JSON `{"error": "..."}` with a status
 * that says what went wrong (400 bad parameters, 404 no such trace, 503 the store could not be read).
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as TraceId from "@victor/core/TraceId"
import type * as TraceStore from "@victor/core/TraceStore"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Stream from "effect/Stream"
import * as CommonScript from "./assets/CommonScript.ts"
import * as CompareScript from "./assets/CompareScript.ts"
import * as HistoryScript from "./assets/HistoryScript.ts"
import * as Styles from "./assets/Styles.ts"
import * as TraceScript from "./assets/TraceScript.ts"
import * as CompareView from "./CompareView.ts"
import * as History from "./History.ts"
import * as Listing from "./Listing.ts"
import * as LiveEvents from "./LiveEvents.ts"
import type * as StoreChanges from "./StoreChanges.ts"
import * as TraceReport from "./TraceReport.ts"
import * as UiAccess from "./UiAccess.ts"
import * as UiPages from "./UiPages.ts"

/** What the routes need to know. */
export interface Options extends UiPages.Context {
  /** When the live streams ask the store again. */
  readonly changes: StoreChanges.StoreChanges
  readonly intervals?: LiveEvents.Intervals
}

const searchParams = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
  const query = request.url.indexOf("?")
  return new URLSearchParams(query < 0 ? "" : request.url.slice(query + 1))
})

const errorJson = (status: number, message: string) =>
  HttpServerResponse.unsafeJson({ error: message }, { status })

const storeFailure = (error: TraceStore.TraceStoreError) =>
  Effect.succeed(
    error.reason === "NotFound" ? errorJson(404, error.message) : error.reason === "InvalidId"
      ? errorJson(400, error.message)
      : errorJson(503, error.message)
  )

/** The id of a route's `:id`, or none when it is not a valid trace id (so it never reaches the store as a path). */
const traceIdParam = Effect.map(HttpRouter.params, (params) => {
  const id = params["id"]
  return id !== undefined && TraceId.isTraceId(id) ? id : undefined
})

const asset = (body: string, contentType: string) =>
  HttpServerResponse.text(body, { contentType: `${contentType}; charset=utf-8` })

const html = (body: string) => HttpServerResponse.text(body, { contentType: "text/html; charset=utf-8" })

const eventStream = (stream: Stream.Stream<Uint8Array>) =>
  HttpServerResponse.stream(stream, {
    contentType: "text/event-stream; charset=utf-8",
    headers: { "x-accel-buffering": "no", connection: "keep-alive" }
  })

/** The router of the explorer over the store in context (the token checked by the caller: see `UiServer`). */
export const make = (options: Options) =>
  Effect.map(Listing.make("1 second"), (listing) => routes(options, listing))

const routes = (options: Options, listing: Listing.Listing) => {
  const intervals = options.intervals ?? LiveEvents.defaultIntervals
  const reportHref = (traceId: string) =>
    `/report/${encodeURIComponent(traceId)}?${new URLSearchParams({ token: options.token }).toString()}`

  return HttpRouter.empty.pipe(
    HttpRouter.get("/", Effect.sync(() => html(UiPages.history(options)))),
    HttpRouter.get("/compare", Effect.sync(() => html(UiPages.compare(options)))),
    HttpRouter.get(
      "/trace/:id",
      Effect.map(traceIdParam, (id) =>
        id === undefined
          ? HttpServerResponse.text("not a trace id\n", { status: 404 })
          : html(UiPages.trace(options, id)))
    ),
    HttpRouter.get("/assets/ui.css", Effect.sync(() => asset(Styles.styles, "text/css"))),
    HttpRouter.get("/assets/common.js", Effect.sync(() => asset(CommonScript.script, "text/javascript"))),
    HttpRouter.get("/assets/history.js", Effect.sync(() => asset(HistoryScript.script, "text/javascript"))),
    HttpRouter.get("/assets/trace.js", Effect.sync(() => asset(TraceScript.script, "text/javascript"))),
    HttpRouter.get("/assets/compare.js", Effect.sync(() => asset(CompareScript.script, "text/javascript"))),
    HttpRouter.get(
      "/api/traces",
      Effect.gen(function*() {
        const request = History.parse(yield* searchParams)
        if (Either.isLeft(request)) return errorJson(400, request.left)
        return HttpServerResponse.unsafeJson(yield* History.page(listing, request.right))
      }).pipe(Effect.catchTag("TraceStoreError", storeFailure))
    ),
    HttpRouter.get(
      "/api/workflows",
      Effect.map(History.workflows(listing), (workflows) => HttpServerResponse.unsafeJson({ workflows })).pipe(
        Effect.catchTag("TraceStoreError", storeFailure)
      )
    ),
    HttpRouter.get(
      "/api/traces/:id/live",
      Effect.gen(function*() {
        const id = yield* traceIdParam
        if (id === undefined) return errorJson(404, "not a trace id")
        const context = yield* Effect.context<TraceStore.TraceStore>()
        return eventStream(Stream.provideContext(LiveEvents.traceSnapshots(id, options.changes, intervals), context))
      })
    ),
    HttpRouter.get(
      "/api/live",
      Effect.map(
        Effect.context<TraceStore.TraceStore>(),
        (context) =>
          eventStream(
            Stream.provideContext(LiveEvents.runningTraces(options.changes, intervals, listing.invalidate), context)
          )
      )
    ),
    HttpRouter.get(
      "/api/compare",
      Effect.gen(function*() {
        const request = CompareView.parse(yield* searchParams)
        if (Either.isLeft(request)) return errorJson(400, request.left)
        const compared = yield* CompareView.compare(request.right)
        return HttpServerResponse.unsafeJson(CompareView.view(compared))
      }).pipe(Effect.catchTag("UsageError", (error) => Effect.succeed(errorJson(400, error.message))))
    ),
    HttpRouter.get(
      "/compare/report",
      Effect.gen(function*() {
        const request = CompareView.parse(yield* searchParams)
        if (Either.isLeft(request)) return HttpServerResponse.text(`${request.left}\n`, { status: 400 })
        const { comparison } = yield* CompareView.compare(request.right)
        return html(CompareView.html(comparison)).pipe(
          HttpServerResponse.setHeader("content-security-policy", UiAccess.reportPolicy)
        )
      }).pipe(
        Effect.catchTag("UsageError", (error) =>
          Effect.succeed(HttpServerResponse.text(`${error.message}\n`, { status: 400 })))
      )
    ),
    HttpRouter.get(
      "/report/:id",
      Effect.gen(function*() {
        const id = yield* traceIdParam
        if (id === undefined) return HttpServerResponse.text("not a trace id\n", { status: 404 })
        const report = yield* TraceReport.report(id, reportHref)
        return HttpServerResponse.stream(report.bytes, {
          contentType: report.mediaType,
          headers: { "content-security-policy": UiAccess.reportPolicy }
        })
      }).pipe(
        Effect.catchTag("TraceStoreError", (error) =>
          Effect.succeed(
            HttpServerResponse.text(`${error.message}\n`, { status: error.reason === "NotFound" ? 404 : 503 })
          ))
      )
    )
  )
}
