/**
 * Plain aligned text tables for terminals: no colours, no box drawing, so they read well piped and in CI logs.
 */

/** How a column is aligned: numbers right, text left. */
export type Align = "left" | "right"

/** Renders a table: a header row, a dashed rule and the rows, columns separated by two spaces. */
export const render = (
  headers: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  align: ReadonlyArray<Align> = []
): string => {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length))
  )
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, column) =>
        align[column] === "right" ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)
      )
      .join("  ")
      .trimEnd()
  return [line(headers), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n")
}

/** Seconds with two decimals and a unit, like the guide's `{:.2f}s`. */
export const seconds = (value: number): string => `${value.toFixed(2)}s`

/** A ratio as a percentage with one decimal. */
export const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`

/** A one-line rendering of free text (errors can span lines), cut to `max` characters. */
export const oneLine = (text: string, max = 80): string => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat
}
