/**
 * The live view of a run on a terminal: one status line on stderr, redrawn in place as events arrive and ten times a
 * second for the clock — nodes done, failed and running, elapsed time, and the tool each running node is calling.
 * It is a trace handler, so it sees exactly what the trace records; it erases itself before the summary is printed.
 * Only used when stderr is a terminal (never in pipes, files or CI logs). Node ids and tool names are escaped to one
 * line (`TerminalText.escapeLine`): a line break or control character in them would break the in-place redraw.
 */
import * as TraceHandler from "@victor/core/TraceHandler"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as TerminalText from "./TerminalText.ts"

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

/** Where the view draws: a terminal stream (width and writes). */
export interface Terminal {
  readonly columns: number | undefined
  readonly write: (text: string) => void
}

/** The state of the line and the handler that feeds it. */
export const make = (terminal: Terminal, now: () => number = Date.now) => {
  const started = now()
  const running = new Map<string, string | undefined>() // node id -> tool being called
  let done = 0
  let failed = 0
  let frame = 0
  let drawn = false
  let paused = false

  const line = (): string => {
    const elapsed = ((now() - started) / 1000).toFixed(1)
    const active = Array.from(running, ([node, tool]) =>
      TerminalText.escapeLine(tool === undefined ? node : `${node} (${tool})`)
    )
    const parts = [`${frames[frame % frames.length]} ${elapsed}s`, `${done} done`]
    if (failed > 0) parts.push(`${failed} failed`)
    if (active.length > 0) parts.push(`running: ${active.join(", ")}`)
    const text = parts.join(" · ")
    // A terminal that does not know its width (0 or undefined) gets 80 columns.
    const columns = terminal.columns !== undefined && terminal.columns > 0 ? terminal.columns : 80
    const width = Math.max(20, columns - 1)
    return text.length > width ? `${text.slice(0, width - 1)}…` : text
  }

  const draw = () => {
    if (paused) return
    frame++
    terminal.write(`\r\u001b[2K${line()}`)
    drawn = true
  }

  const handler = TraceHandler.make("progress-view", {
    onEvent: (event) =>
      Effect.sync(() => {
        const node = event.nodeId
        switch (event.eventType) {
          case "node_started":
            if (node !== undefined) running.set(node, undefined)
            break
          // A skipped node also completes (its record succeeds), so it is counted at completion only.
          case "node_completed":
            if (node !== undefined) running.delete(node)
            done++
            break
          case "node_failed":
            if (node !== undefined) running.delete(node)
            failed++
            break
          case "tool_call_started":
            if (node !== undefined && running.has(node)) running.set(node, event.toolName)
            break
          case "tool_call_completed":
          case "tool_call_failed":
            if (node !== undefined && running.has(node)) running.set(node, undefined)
            break
          default:
            return
        }
        draw()
      })
  })

  /** Erases the line, leaving the cursor at the start of an empty line. */
  const clear = () => {
    if (drawn) terminal.write("\r\u001b[2K")
  }

  /** Stops drawing (and erases the line) while something else uses the terminal, e.g. a question. */
  const pause = () => {
    clear()
    paused = true
  }
  const resume = () => {
    paused = false
  }

  return { handler, draw, clear, line, pause, resume }
}

/** A running view: its handler, and pause/resume for whoever needs the terminal. */
export type View = ReturnType<typeof make>

/**
 * Starts the live view on stderr for the current scope, when stderr is a terminal outside CI; `undefined` otherwise.
 * Install `view.handler` on the run (TraceHandler.provideMore); the view is erased when the scope closes.
 */
export const start: Effect.Effect<View | undefined, never, Scope.Scope> = Effect.suspend(() => {
  const stderr = process.stderr
  if (!stderr.isTTY || process.env["CI"] === "true") return Effect.succeed(undefined)
  return Effect.acquireRelease(
    Effect.sync(() => {
      const view = make({ get columns() { return stderr.columns }, write: (text) => void stderr.write(text) })
      return { view, timer: setInterval(view.draw, 100) }
    }),
    ({ timer, view }) =>
      Effect.sync(() => {
        clearInterval(timer)
        view.clear()
      })
  ).pipe(Effect.map(({ view }) => view))
})
