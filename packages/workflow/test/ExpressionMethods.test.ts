import { describe, expect, it } from "@effect/vitest"
import * as Expression from "@victor/workflow/Expression"
import * as Either from "effect/Either"

const state = {
  test_results: { passed: 12, failed: 0, nested: { depth: 2 } },
  counts: [1, 2],
  text: "abc",
  nothing: null
}

const value = (source: string, options?: Expression.EvaluateOptions) => {
  const result = Expression.evaluateString(source, state, options)
  if (Either.isLeft(result)) throw new Error(`unexpected failure: ${result.left.message}`)
  return result.right
}

const failure = (source: string, options?: Expression.EvaluateOptions) => {
  const result = Expression.evaluateString(source, state, options)
  if (Either.isRight(result)) throw new Error(`expected ${source} to fail, got ${JSON.stringify(result.right)}`)
  return result.left
}

describe("Expression: .get() and current_timestamp()", () => {
  it("obj.get(key) and obj.get(key, default) read like Python's dict.get", () => {
    expect(value("test_results.get('passed')")).toBe(12)
    expect(value("test_results.get(\"failed\", 0) == 0")).toBe(true)
    expect(value("test_results.get('skipped')")).toBe(null)
    expect(value("test_results.get('skipped', 7) + 1")).toBe(8)
    // A present key wins over the default, even when its value is falsy.
    expect(value("test_results.get('failed', 99)")).toBe(0)
    expect(value("test_results.get('nested').get('depth')")).toBe(2)
    expect(value("test_results.get('missing', test_results).get('passed')")).toBe(12)
    // `$ctx` is the state: a key that may be missing is read without failing.
    expect(value("$ctx.get('test_results').get('passed')")).toBe(12)
    expect(value("$ctx.get('not_set', 'fallback')")).toBe("fallback")
    expect(value("$ctx.get('counts')")).toEqual([1, 2])
    // Prototype members are not data, with .get() as everywhere else.
    expect(value("test_results.get('constructor')")).toBe(null)
    expect(value("test_results.get('__proto__', 1)")).toBe(1)
  })

  it(".get() on something that is not an object, or with the wrong arguments, fails clearly", () => {
    expect(failure("counts.get(0)").message).toBe(
      "cannot evaluate \"counts.get(0)\": .get() needs an object on the left, got list [1,2] at position 7"
    )
    expect(failure("nothing.get('a', 1)").message).toContain(".get() needs an object on the left, got null")
    expect(failure("text.get('a')").message).toContain("got string \"abc\"")
    expect(failure("test_results.get(['a'])").message).toContain(".get() needs a string or number key, got list")
    const arity = failure("test_results.get()")
    expect(arity.reason).toBe("Syntax")
    expect(arity.message).toContain(".get() takes 1 to 2 arguments, got 0")
    expect(failure("test_results.get('a', 1, 2)").message).toContain(".get() takes 1 to 2 arguments, got 3")
    // `.keys()` and other pure methods exist since the Python subset grew (PythonExpressions.test.ts); others do not.
    expect(failure("test_results.pop('passed')").message).toContain("unknown method '.pop()'; known: get, keys")
    expect(Expression.methodNames).toContain("get")
  })

  it("current_timestamp() is the evaluation's `now` as ISO-8601 UTC, and fails without one", () => {
    const now = Date.parse("2026-11-24T18:32:07.123Z")
    expect(value("current_timestamp()", { now })).toBe("2026-11-24T18:32:07.123Z")
    expect(value("current_timestamp() > '2026-01-01'", { now })).toBe(true)
    expect(value("str(current_timestamp())", { now: 0 })).toBe("1970-01-01T00:00:00.000Z")
    expect(Expression.functionNames).toContain("current_timestamp")
    expect(failure("current_timestamp()").message).toBe(
      "cannot evaluate \"current_timestamp()\": current_timestamp() needs the current time, which this evaluation " +
        "was not given at position 1"
    )
    expect(failure("current_timestamp(1)").message).toContain("current_timestamp() takes 0 arguments, got 1")
  })

  it("elapsed_time() is the seconds from the run's start to the evaluation's `now`, and fails without them", () => {
    const startedAt = Date.parse("2026-11-24T18:32:00.000Z")
    expect(value("elapsed_time()", { now: startedAt + 7_250, startedAt })).toBe(7.25)
    expect(value("elapsed_time() > 3600", { now: startedAt + 7_250, startedAt })).toBe(false)
    expect(failure("elapsed_time()", { now: startedAt }).message).toContain(
      "elapsed_time() needs the run's start and the current time, which this evaluation was not given"
    )
  })
})
