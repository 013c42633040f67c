/**
 * Numbers as Victor prints them for people, the same in every report (`trace analyze`, `trace compare`,
 * `trace stats`, the run summary, the HTML report): durations with the precision their size calls for (`0.4ms`,
 * `12ms`, `1.24s`, `2m 03s`), deltas in the same units with a sign, and percentages that never round a failure away
 * (99 successes in 100 runs is `99.0%`, 9,999 in 10,000 is `>99.9%`, never `100.0%`).
 */

/** Text for a number that is not one (NaN, infinite). */
const missing = "n/a"

/**
 * A duration in seconds for people: below 10 ms with a tenth of a millisecond (`0.4ms`, `9.5ms`, `<0.1ms` for a
 * sliver that is not nothing), whole milliseconds below a second (`12ms`), hundredths below a minute (`1.24s`), then
 * minutes and whole seconds (`2m 03s`) and hours (`1h 02m 03s`). Negative durations keep their sign.
 */
export const duration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return missing
  if (seconds < 0) return `-${duration(-seconds)}`
  if (seconds === 0) return "0ms"
  const ms = seconds * 1000
  if (ms < 0.05) return "<0.1ms"
  if (ms < 9.95) return `${ms.toFixed(1)}ms`
  if (ms < 999.5) return `${Math.round(ms)}ms`
  if (seconds < 59.995) return `${seconds.toFixed(2)}s`
  const whole = Math.round(seconds)
  const secs = String(whole % 60).padStart(2, "0")
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${secs}s`
  return `${Math.floor(whole / 3600)}h ${String(Math.floor(whole / 60) % 60).padStart(2, "0")}m ${secs}s`
}

/**
 * {@link duration} in browser JavaScript, for the pages that format durations themselves (the HTML report, the
 * comparison report, `victor ui`): the text of `function fmt(s) { ... }`, to be put inside a page's script. A test
 * holds the two to the same results; what is not a number (a running trace's `null`) is `n/a`.
 */
export const durationScript = String.raw`function fmt(s) {
  if (typeof s !== "number" || !isFinite(s)) return "n/a";
  if (s < 0) return "-" + fmt(-s);
  if (s === 0) return "0ms";
  var ms = s * 1000;
  if (ms < 0.05) return "<0.1ms";
  if (ms < 9.95) return ms.toFixed(1) + "ms";
  if (ms < 999.5) return Math.round(ms) + "ms";
  if (s < 59.995) return s.toFixed(2) + "s";
  var w = Math.round(s), sec = String(w % 60).padStart(2, "0");
  if (w < 3600) return Math.floor(w / 60) + "m " + sec + "s";
  return Math.floor(w / 3600) + "h " + String(Math.floor(w / 60) % 60).padStart(2, "0") + "m " + sec + "s";
}`

/** A change of duration with its sign, in the same units as {@link duration}: `+4.1ms`, `-1.20s`, `0ms`. */
export const signedDuration = (seconds: number): string =>
  !Number.isFinite(seconds) ? missing : seconds > 0 ? `+${duration(seconds)}` : duration(seconds)

/**
 * A ratio in [0, 1] as a percentage with one decimal that never reaches a bound it is not at: `0.0%` and `100.0%`
 * only for exactly none and all, `<0.1%` and `>99.9%` near them (so one failure in 10,000 runs still shows).
 */
export const percent = (ratio: number): string => {
  if (!Number.isFinite(ratio)) return missing
  if (ratio <= 0) return "0.0%"
  if (ratio === 1) return "100.0%"
  if (ratio < 0.001) return "<0.1%"
  if (ratio > 0.999 && ratio < 1) return ">99.9%"
  return `${(ratio * 100).toFixed(1)}%`
}

/** A relative change with its sign: `+239.4%`, `-12.0%`, `+<0.1%` for a change too small to show; `n/a` for null. */
export const signedPercent = (ratio: number | null): string => {
  if (ratio === null || !Number.isFinite(ratio)) return missing
  if (ratio === 0) return "0.0%"
  const sign = ratio > 0 ? "+" : "-"
  const size = Math.abs(ratio) * 100
  return size < 0.05 ? `${sign}<0.1%` : `${sign}${size.toFixed(1)}%`
}

/**
 * A whole number with its thousands grouped as in English: `1,234,567` (what `toLocaleString("en-US")` gives, without
 * ICU, whose first number format costs a command 5-10 ms).
 */
export const integer = (value: number): string => {
  if (!Number.isFinite(value)) return missing
  const whole = Math.round(value)
  const digits = String(Math.abs(whole)).replace(/\B(?=(\d{3})+$)/g, ",")
  return whole < 0 ? `-${digits}` : digits
}

const compactUnits = ["", "K", "M", "B", "T"] as const

/**
 * A count (a whole number) in a few characters, as English compact notation writes it with at most one decimal:
 * `950`, `1.2K`, `13.1K`, `2.4M`, `1M` for 999,950 (what `Intl.NumberFormat("en-US", { notation: "compact",
 * maximumFractionDigits: 1 })` gives, without ICU).
 */
export const compactCount = (value: number): string => {
  if (!Number.isFinite(value)) return missing
  const count = Math.round(value)
  if (count < 0) return `-${compactCount(-count)}`
  let exponent = 0
  while (exponent < compactUnits.length - 1 && count >= 1000 ** (exponent + 1)) exponent++
  // Tenths of the unit, rounded half up: a whole number over a power of ten is exact at the halves.
  let tenths = exponent === 0 ? count * 10 : Math.round(count / 10 ** (3 * exponent - 1))
  if (tenths >= 10_000 && exponent < compactUnits.length - 1) {
    exponent++
    tenths = Math.round(tenths / 1000)
  }
  const units = Math.floor(tenths / 10)
  const tenth = tenths % 10
  return `${units}${tenth === 0 ? "" : `.${tenth}`}${compactUnits[exponent]}`
}

