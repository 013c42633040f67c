/**
 * `--events ndjson`: every execution event of the run as one JSON line on stdout, written the moment it happens (the
 * guide's real-time monitoring, for `jq`, log shippers or `head`). Lines use the trace file's snake_case keys, with
 * the trace id first. When the reader goes away (`| head -n 3`), writing stops quietly and the run goes on to the end,
 * so its trace is still complete and stored.
 */
import * as ExecutionEvent from "@victor/core/ExecutionEvent"
import * as Json from "@victor/core/Json"
import * as TraceHandler from "@victor/core/TraceHandler"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

const encodeEvent = Schema.encodeSync(ExecutionEvent.ExecutionEvent)

// One event's line; event data nested too deep for `JSON.stringify` is written bounded (see `Json.MAX_DEPTH`).
const line = (traceId: string, event: ExecutionEvent.ExecutionEvent): string => {
  try {
    return JSON.stringify({ trace_id: traceId, ...encodeEvent(event) })
  } catch (error) {
    if (!Json.isStackOverflow(error) || event.data === undefined) throw error
    return JSON.stringify({ trace_id: traceId, ...encodeEvent({ ...event, data: Json.boundedObject(event.data) }) })
  }
}

/** A handler writing NDJSON lines with `write`; `write` returns false once the reader is gone. */
export const make = (write: (line: string) => boolean): TraceHandler.TraceHandler => {
  let open = true
  return TraceHandler.make("ndjson-events", {
    onEvent: (event, trace) =>
      Effect.sync(() => {
        if (!open) return
        open = write(`${line(trace.traceId, event)}\n`)
      })
  })
}

/** Writes to this process's stdout, stopping for good at the first broken pipe. */
export const stdoutWriter = (): ((line: string) => boolean) => {
  let broken = false
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") broken = true
  })
  return (line) => {
    if (broken) return false
    process.stdout.write(line)
    return true
  }
}
