/**
 * The explorer's history: stored traces newest first, a page at a time, filtered by workflow, status, time range and
 * text; and per workflow the durations of its latest runs, for the sparklines. The workflow, status and start filters
 * go to the store's `list` (the SQL store answers them from its indexes); the end of the range and the text, which
 * the store contract has no filter for, are applied to what it returns.
 */
import type * as TraceStore from "@victor/core/TraceStore"
import * as WorkflowTrace from "@victor/core/WorkflowTrace"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Listing from "./Listing.ts"

/** The statuses a trace can be in, as the status filter takes them. */
export const statuses: ReadonlyArray<WorkflowTrace.TraceStatus> = [
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "incomplete"
]

/** What the history page asks for. */
export interface HistoryRequest {
  readonly workflow: string | undefined
  readonly status: WorkflowTrace.TraceStatus | undefined
  /** Started at or after (unix seconds). */
  readonly from: number | undefined
  /** Started at or before (unix seconds). */
  readonly to: number | undefined
  /** Part of the trace id or workflow name, any case. */
  readonly text: string | undefined
  /** 1-based. */
  readonly page: number
  readonly size: number
}

/** Rows per page unless asked otherwise, and at most. */
export const defaultPageSize = 50
const maxPageSize = 500

const nonEmpty = (value: string | null): string | undefined => {
  const trimmed = value?.trim()
  return trimmed === undefined || trimmed === "" ? undefined : trimmed
}

/** A time: unix seconds, or a date or date-time `Date.parse` reads. */
const parseTime = (name: string, value: string | undefined): Either.Either<number | undefined, string> => {
  if (value === undefined) return Either.right(undefined)
  const seconds = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Date.parse(value) / 1000
  return Number.isFinite(seconds)
    ? Either.right(seconds)
    : Either.left(`${name}: not a time: give unix seconds or a date such as 2026-01-31T12:00`)
}

const parseCount = (name: string, value: string | undefined, fallback: number, max: number) => {
  if (value === undefined) return Either.right(fallback)
  const n = Number(value)
  return Number.isInteger(n) && n >= 1 && n <= max
    ? Either.right(n)
    : Either.left(`${name}: give a whole number from 1 to ${max}`)
}

/** The request of the page's query string; an invalid value is a sentence saying what is accepted. */
export const parse = (params: URLSearchParams): Either.Either<HistoryRequest, string> =>
  Either.gen(function*() {
    const status = nonEmpty(params.get("status"))
    if (status !== undefined && !(statuses as ReadonlyArray<string>).includes(status)) {
      return yield* Either.left(`status: use one of ${statuses.join(", ")}`)
    }
    return {
      workflow: nonEmpty(params.get("workflow")),
      status: status as WorkflowTrace.TraceStatus | undefined,
      from: yield* parseTime("from", nonEmpty(params.get("from"))),
      to: yield* parseTime("to", nonEmpty(params.get("to"))),
      text: nonEmpty(params.get("q"))?.toLowerCase(),
      page: yield* parseCount("page", nonEmpty(params.get("page")), 1, Number.MAX_SAFE_INTEGER),
      size: yield* parseCount("size", nonEmpty(params.get("size")), defaultPageSize, maxPageSize)
    }
  })

/** One page of the history, as the page reads it (the summaries in their wire form). */
export interface HistoryPage {
  readonly total: number
  readonly page: number
  readonly size: number
  readonly pages: number
  readonly items: ReadonlyArray<WorkflowTrace.TraceSummaryEncoded>
}

/** The page of traces a request asks for, newest first. */
export const page = (
  listing: Listing.Listing,
  request: HistoryRequest
): Effect.Effect<HistoryPage, TraceStore.TraceStoreError> =>
  Effect.gen(function*() {
    const listed = yield* listing.list({
      ...(request.workflow === undefined ? {} : { workflowName: request.workflow }),
      ...(request.status === undefined ? {} : { status: request.status }),
      ...(request.from === undefined ? {} : { since: request.from })
    })
    const { text, to } = request
    // Oldest first from the store; a plain loop from the end, as this runs over the whole history.
    const matching: Array<WorkflowTrace.TraceSummary> = []
    for (let i = listed.length - 1; i >= 0; i--) {
      const s = listed[i]!
      if (to !== undefined && s.startTime > to) continue
      if (
        text !== undefined && !s.traceId.toLowerCase().includes(text) && !s.workflowName.toLowerCase().includes(text)
      ) continue
      matching.push(s)
    }
    const pages = Math.max(1, Math.ceil(matching.length / request.size))
    const first = (request.page - 1) * request.size
    return {
      total: matching.length,
      page: request.page,
      size: request.size,
      pages,
      items: matching.slice(first, first + request.size).map(WorkflowTrace.encodeSummary)
    }
  })

/** A workflow's latest runs, for its sparkline. */
export interface WorkflowSeries {
  readonly workflow_name: string
  readonly runs: number
  readonly failed: number
  readonly last_start_time: number
  /** The latest runs, oldest first: duration and status of each. */
  readonly durations: ReadonlyArray<number>
  readonly statuses: ReadonlyArray<WorkflowTrace.TraceStatus>
}

/** Runs per sparkline. */
export const sparklineRuns = 40

/** Every workflow of the store with its latest runs, the most recently run workflow first. */
export const workflows = (
  listing: Listing.Listing
): Effect.Effect<ReadonlyArray<WorkflowSeries>, TraceStore.TraceStoreError> =>
  Effect.gen(function*() {
    const listed = yield* listing.all
    const byName = new Map<string, Array<WorkflowTrace.TraceSummary>>()
    for (const s of listed) {
      const runs = byName.get(s.workflowName)
      if (runs === undefined) byName.set(s.workflowName, [s])
      else runs.push(s)
    }
    const series: Array<WorkflowSeries> = []
    for (const [name, runs] of byName) {
      const latest = runs.slice(-sparklineRuns)
      let failed = 0
      for (const run of runs) if (run.status === "failed") failed++
      series.push({
        workflow_name: name,
        runs: runs.length,
        failed,
        last_start_time: runs[runs.length - 1]!.startTime,
        durations: latest.map((s) => s.durationSeconds),
        statuses: latest.map((s) => s.status)
      })
    }
    return series.sort((a, b) => b.last_start_time - a.last_start_time)
  })
