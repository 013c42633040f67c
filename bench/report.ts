/**
 * What the benchmark reports: the measurement of one scenario, the table comparing them with the floor, and the
 * issue's targets with PASS or FAIL.
 */
import * as Scenarios from "./scenarios.ts"

/** What a scenario measured: every reading, and the figures the table shows. */
export interface Measurement {
  readonly scenario: string
  readonly nodes: number
  /** One per timed run. */
  readonly microsPerNode: ReadonlyArray<number>
  /** One per heap run. */
  readonly heapBytesPerNodeReadings: ReadonlyArray<number>
  readonly medianMicrosPerNode: number
  readonly heapBytesPerNode: number
}

/** The median of a non-empty list. */
export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** A target of the issue, checked against the measurements. */
export interface TargetResult {
  readonly label: string
  readonly pass: boolean
  readonly detail: string
}

const ratio = (value: number, base: number): string => `${(value / base).toFixed(2)}×`

const micros = (value: number): string => value.toFixed(2)

// A recording that keeps nothing can measure a few bytes below zero; that is noise, not a heap that shrank.
const bytes = (value: number): number => Math.max(0, Math.round(value))

/** The table, as Markdown so that it can go into the README as printed. */
export const table = (measurements: ReadonlyArray<Measurement>, floor: Measurement): string => {
  const rows = [
    ["scenario", "µs/node (median)", "µs/node (min–max)", "heap B/node", "× floor (µs)", "× floor (heap)"],
    ...measurements.map((m) => [
      m.scenario,
      micros(m.medianMicrosPerNode),
      `${micros(Math.min(...m.microsPerNode))}–${micros(Math.max(...m.microsPerNode))}`,
      bytes(m.heapBytesPerNode).toString(),
      ratio(m.medianMicrosPerNode, floor.medianMicrosPerNode),
      ratio(bytes(m.heapBytesPerNode), bytes(floor.heapBytesPerNode))
    ])
  ]
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)))
  const cell = (text: string, column: number) =>
    column === 0 ? text.padEnd(widths[column]!) : text.padStart(widths[column]!)
  const line = (row: ReadonlyArray<string>) => `| ${row.map(cell).join(" | ")} |`
  const rule = `|${widths.map((width, column) => "-".repeat(width + 1) + (column === 0 ? "-" : ":")).join("|")}|`
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n")
}

/** How much faster than each rival `withNode` must be: it takes at most a tenth of a rival's time. */
export const RIVAL_FACTOR = 10

/** How many times the floor's time the recording API (`startNode` → `traceToolCall` → `endNode`) may take. */
export const FLOOR_FACTOR = 3

/**
 * The targets for one Victor row: the recording API (`victor`) within 3× of the floor; `withNode` at least 10×
 * faster than the OpenTelemetry SDK and than `Effect.withSpan`. A row the issue sets no target for has none.
 */
export const targets = (
  victor: Measurement,
  floor: Measurement,
  others: ReadonlyArray<Measurement>
): ReadonlyArray<TargetResult> => {
  const v = victor.medianMicrosPerNode
  switch (victor.scenario) {
    case Scenarios.victor.name:
      return [{
        label: `${victor.scenario} within ${FLOOR_FACTOR}× of the floor`,
        pass: v <= FLOOR_FACTOR * floor.medianMicrosPerNode,
        detail: `${micros(v)} µs vs ${FLOOR_FACTOR} × ${micros(floor.medianMicrosPerNode)}` +
          ` = ${micros(FLOOR_FACTOR * floor.medianMicrosPerNode)} µs (${ratio(v, floor.medianMicrosPerNode)} the floor)`
      }]
    case Scenarios.victorWith.name:
      return others.map((other) => ({
        label: `${victor.scenario} at least ${RIVAL_FACTOR}× faster than ${other.scenario}`,
        pass: RIVAL_FACTOR * v <= other.medianMicrosPerNode,
        detail: `${micros(v)} µs vs ${micros(other.medianMicrosPerNode)} µs / ${RIVAL_FACTOR}` +
          ` = ${micros(other.medianMicrosPerNode / RIVAL_FACTOR)} µs (${other.scenario} takes` +
          ` ${ratio(other.medianMicrosPerNode, v)} as long)`
      }))
    default:
      return []
  }
}
