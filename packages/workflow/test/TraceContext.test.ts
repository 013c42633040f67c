import { describe, expect, it } from "@effect/vitest"
import * as TraceContext from "@victor/core/TraceContext"
import * as Either from "effect/Either"

const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

describe("TraceContext", () => {
  it("parses and formats a W3C traceparent", () => {
    const parsed = TraceContext.parse(valid)
    expect(parsed).toEqual(
      Either.right({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", parentId: "00f067aa0ba902b7", flags: "01" })
    )
    expect(TraceContext.format(Either.getOrThrow(parsed))).toBe(valid)
    // A later version may carry more fields.
    expect(Either.isRight(TraceContext.parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"))).toBe(
      true
    )
  })

  it("rejects malformed headers with a reason", () => {
    const bad = [
      "garbage",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      `${valid}-extra`
    ]
    for (const header of bad) expect(Either.isLeft(TraceContext.parse(header))).toBe(true)
    expect(TraceContext.parse("00-abc")).toEqual(
      Either.left(`"00-abc" is not a W3C traceparent (expected 00-<32 hex>-<16 hex>-<2 hex>, lower case)`)
    )
  })

  it("maps Victor ids to W3C ids deterministically", () => {
    expect(TraceContext.traceIdOf("0AF76519-16CD-43DD-8448-EB211C80319C")).toBe("0af7651916cd43dd8448eb211c80319c")
    const custom = TraceContext.traceIdOf("nightly-run_7")
    expect(custom).toMatch(/^[0-9a-f]{32}$/)
    expect(TraceContext.traceIdOf("nightly-run_7")).toBe(custom)
    expect(TraceContext.traceIdOf("nightly-run_8")).not.toBe(custom)
    const span = TraceContext.spanIdOf("t", "node", 1, 1)
    expect(span).toMatch(/^[0-9a-f]{16}$/)
    expect(TraceContext.spanIdOf("t", "node", 1, 1)).toBe(span)
    expect(new Set([span, TraceContext.spanIdOf("t", "node", 2, 1), TraceContext.spanIdOf("t", "node", 1, 2)]).size)
      .toBe(3)
  })

  it("reads a run's parent from TRACEPARENT and TRACESTATE; a malformed one is a warning", () => {
    expect(TraceContext.fromEnvironment({})).toEqual({})
    expect(TraceContext.fromEnvironment({ TRACEPARENT: valid, TRACESTATE: "other=1,victor=abc-123" })).toEqual({
      traceParent: valid,
      parentTraceId: "abc-123"
    })
    expect(TraceContext.fromEnvironment({ TRACEPARENT: ` ${valid} ` })).toEqual({ traceParent: valid })
    const ignored = TraceContext.fromEnvironment({ TRACEPARENT: "00-nope", TRACESTATE: "victor=abc" })
    expect(ignored.traceParent).toBeUndefined()
    expect(ignored.warning).toContain("TRACEPARENT ignored: \"00-nope\" is not a W3C traceparent")
  })
})
