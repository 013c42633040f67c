import { describe, expect, it } from "@effect/vitest"
import * as Threshold from "@victor/compare/Threshold"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"

describe("Threshold.parse", () => {
  it.effect("seconds, milliseconds, bare seconds and percentages", () =>
    Effect.sync(() => {
      expect(Threshold.parse("0.5s")).toEqual(Either.right({ absoluteSeconds: 0.5 }))
      expect(Threshold.parse("250ms")).toEqual(Either.right({ absoluteSeconds: 0.25 }))
      expect(Threshold.parse("2")).toEqual(Either.right({ absoluteSeconds: 2 }))
      expect(Threshold.parse("20%")).toEqual(Either.right({ relative: 0.2 }))
      expect(Threshold.combine([{ absoluteSeconds: 0.5 }, { relative: 0.2 }])).toEqual({ absoluteSeconds: 0.5, relative: 0.2 })
      expect(Threshold.combine([])).toEqual(Threshold.defaults)
    }))

  it.effect("anything else is refused with what is accepted", () =>
    Effect.sync(() => {
      expect(Threshold.parse("fast")).toEqual(
        Either.left("invalid threshold 'fast': give seconds (0.5s, 500ms) or a percentage (20%)")
      )
      expect(Either.isLeft(Threshold.parse("-1s"))).toBe(true)
    }))
})
