/**
 * Plain aligned text tables for terminals: no colours, no box drawing, so they read well piped and in CI logs.
 */
import * as Display from "@victor/core/Display"

/** How a column is aligned: numbers right, text left. */
export type Align = "left" | "right"

/** Renders a table: a header row, a dashed rule and the rows, columns separated by two spaces. */
export const render = (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  align: ReadonlyArray<Align> = []
): string => {
  // A loop, not `Math.max(...cells)`: a comparison of 200,000 nodes has as many rows, too many arguments for a call.
  const widths = headers.map((header) => header.length)
  for (const row of rows) {
    for (let column = 0; column < widths.length; column++) {
      const length = (row[column] ?? "").length
      if (length > widths[column]!) widths[column] = length
    }
  }
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, column) =>
        align[column] === "right" ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)
      )
      .join("  ")
      .trimEnd()
  return [line(headers), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n")
}

/** Seconds with the precision their size calls for: `0.4ms`, `12ms`, `1.24s`, `2m 03s` (`Display.duration`). */
export const seconds = (value: number): string => Display.duration(value)

/** A ratio as a percentage that never rounds a failure away: `99.0%`, `>99.9%` (`Display.percent`). */
export const percent = (ratio: number): string => Display.percent(ratio)

/** A one-line rendering of free text (errors can span lines), cut to `max` characters. */
export const oneLine = (text: string, max = 80): string => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
