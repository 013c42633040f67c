import { describe, expect, it } from "@effect/vitest"
import * as Display from "@victor/core/Display"

describe("Display.duration", () => {
  it("uses the precision the size calls for, and rounds up into the next unit", () => {
    const cases: ReadonlyArray<readonly [number, string]> = [
      [0, "0ms"],
      [0.00001, "<0.1ms"],
      [0.0004, "0.4ms"],
      [0.0017, "1.7ms"],
      [0.00996, "10ms"],
      [0.012, "12ms"],
      [0.9994, "999ms"],
      [0.9996, "1.00s"],
      [1.2449, "1.24s"],
      [59.994, "59.99s"],
      [59.996, "1m 00s"],
      [123, "2m 03s"],
      [119.6, "2m 00s"],
      [3599.4, "59m 59s"],
      [3723, "1h 02m 03s"],
      [-0.25, "-250ms"],
      [NaN, "n/a"],
      [Infinity, "n/a"]
    ]
    for (const [seconds, text] of cases) expect(Display.duration(seconds), String(seconds)).toBe(text)
  })

  it("signed deltas use the same units: a 4 ms change is never +0.00s", () => {
    expect(Display.signedDuration(0.0058 - 0.0017)).toBe("+4.1ms")
    expect(Display.signedDuration(-1.2)).toBe("-1.20s")
    expect(Display.signedDuration(0)).toBe("0ms")
    expect(Display.signedDuration(90)).toBe("+1m 30s")
  })
})

describe("Display.percent", () => {
  it("never rounds a failure (or a success) away", () => {
    expect(Display.percent(99 / 100)).toBe("99.0%")
    expect(Display.percent(999 / 1000)).toBe("99.9%")
    expect(Display.percent(9999 / 10000)).toBe(">99.9%")
    expect(Display.percent(99_999 / 100_000)).toBe(">99.9%")
    expect(Display.percent(1 / 10000)).toBe("<0.1%")
    expect(Display.percent(1 / 1000)).toBe("0.1%")
    expect(Display.percent(0.12345)).toBe("12.3%")
    expect(Display.percent(1)).toBe("100.0%")
    expect(Display.percent(0)).toBe("0.0%")
    expect(Display.percent(NaN)).toBe("n/a")
  })

  it("signed percentages for relative changes", () => {
    expect(Display.signedPercent(2.394)).toBe("+239.4%")
    expect(Display.signedPercent(-0.12)).toBe("-12.0%")
    expect(Display.signedPercent(0.0001)).toBe("+<0.1%")
    expect(Display.signedPercent(0)).toBe("0.0%")
    expect(Display.signedPercent(null)).toBe("n/a")
  })
})

describe("Display.durationScript", () => {
  it("is Display.duration in browser JavaScript: the same text for every size, sign and non-number", () => {
    const fmt = new Function(`${Display.durationScript}; return fmt`)() as (seconds: number) => string
    const values = [0, 0.00001, 0.00004999, 0.00005, 0.0004, 0.0017, 0.00995, 0.00996, 0.012, 0.9994, 0.9995, 0.9996]
    for (let seconds = 0.0000123; seconds < 100_000; seconds *= 1.37) values.push(seconds)
    values.push(1.2449, 59.994, 59.995, 59.996, 123, 3599.4, 3599.5, 3723, 90_061, -0.25, -123, NaN, Infinity)
    for (const seconds of values) expect(fmt(seconds), String(seconds)).toBe(Display.duration(seconds))
    expect([null, undefined, "12"].map((value) => fmt(value as never))).toEqual(["n/a", "n/a", "n/a"])
  })
})

describe("Display.integer and Display.compactCount", () => {
  // The ICU formats they stand in for, over small numbers, every boundary of a unit and a spread of sizes.
  const grouped = (value: number) => Math.round(value).toLocaleString("en-US")
  const compactIntl = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 })
  const values: Array<number> = []
  for (let n = 0; n < 2_000; n++) values.push(n)
  for (const unit of [1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13]) {
    for (const delta of [-51, -50, -49, -1, 0, 1, 49, 50, 51, 149, 150, 151]) values.push(unit + delta * (unit / 1000))
    for (const tenth of [0.95, 0.9949, 0.995, 0.9999, 1.05, 1.15, 1.25, 1.35, 9.95, 99.95, 999.949, 999.95]) {
      values.push(Math.round(tenth * unit))
    }
  }
  for (let n = 1; n < 1e16; n = Math.floor(n * 1.37) + 7) values.push(n)

  it("integer groups thousands as toLocaleString('en-US') does", () => {
    for (const value of [...values, -1, -1234, -1234567, 12.4, 12.5]) {
      expect(Display.integer(value), String(value)).toBe(grouped(value))
    }
    expect(Display.integer(NaN)).toBe("n/a")
    // Where ICU writes "-0", a count of nothing is 0.
    expect(Display.integer(-0.4)).toBe("0")
  })

  it("compactCount writes counts as English compact notation with one decimal does", () => {
    for (const value of [...values, -1, -1234, -999_950]) {
      expect(Display.compactCount(value), String(value)).toBe(compactIntl.format(Math.round(value)))
    }
    expect(Display.compactCount(Infinity)).toBe("n/a")
  })
})

