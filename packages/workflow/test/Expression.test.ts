import { describe, expect, it } from "@effect/vitest"
import * as Expression from "@victor/workflow/Expression"
import * as Either from "effect/Either"

const state = {
  count: 7,
  name: "victor",
  empty: "",
  flags: { ready: true, tags: ["a", "b"] },
  items: [{ id: 1 }, { id: 2 }],
  "odd-key": "dash",
  nothing: null,
  review: { response: "looks good" }
}

const value = (source: string, on: Record<string, unknown> = state) => {
  const result = Expression.evaluateString(source, on)
  if (Either.isLeft(result)) throw new Error(`unexpected failure: ${result.left.message}`)
  return result.right
}

const failure = (source: string, on: Record<string, unknown> = state) => {
  const result = Expression.evaluateString(source, on)
  if (Either.isRight(result)) throw new Error(`expected ${source} to fail, got ${JSON.stringify(result.right)}`)
  return result.left
}

describe("Expression", () => {
  it("evaluates literals, arithmetic and precedence", () => {
    expect(value("1 + 2 * 3")).toBe(7)
    expect(value("(1 + 2) * 3")).toBe(9)
    expect(value("-count + 10 % 4")).toBe(-5)
    expect(value("7 / 2")).toBe(3.5)
    expect(value("1.5e2")).toBe(150)
    expect(value("'it\\'s' + \" ok\"")).toBe("it's ok")
    expect(value("[1, 2] + [3]")).toEqual([1, 2, 3])
    expect(value("[true, false, null, None, True]")).toEqual([true, false, null, null, true])
  })

  it("reads names, dotted paths, $ctx and indices", () => {
    expect(value("count")).toBe(7)
    expect(value("$ctx.count")).toBe(7)
    expect(value("flags.ready")).toBe(true)
    expect(value("flags.tags.1")).toBe("b")
    expect(value("items.0.id")).toBe(1)
    expect(value("items[1].id")).toBe(2)
    expect(value("$ctx[\"odd-key\"]")).toBe("dash")
    expect(value("flags.missing")).toBe(null)
    expect(value("'count' in $ctx")).toBe(true)
  })

  it("compares, chains and tests membership", () => {
    expect(value("count == 7 and name != 'x'")).toBe(true)
    expect(value("count >= 7 && count < 8")).toBe(true)
    expect(value("0 < count <= 5")).toBe(false)
    expect(value("0 < count <= 10")).toBe(true)
    expect(value("name in ['victor', 'other']")).toBe(true)
    expect(value("'c' not in flags.tags")).toBe(true)
    expect(value("'vic' in name")).toBe(true)
    expect(value("'ready' in flags")).toBe(true)
    expect(value("[1, [2]] == [1, [2]]")).toBe(true)
    expect(value("'abc' < 'abd'")).toBe(true)
  })

  it("has Python's truthiness and value-returning and/or", () => {
    expect(value("not empty")).toBe(true)
    expect(value("!flags.tags")).toBe(false)
    expect(value("empty or 'anonymous'")).toBe("anonymous")
    expect(value("name and count")).toBe(7)
    expect(value("nothing or 0 or []")).toEqual([])
  })

  it("calls the safe functions", () => {
    expect(value("len(name) + len(flags.tags) + len(flags)")).toBe(10)
    expect(value("str(count) + str(flags.ready)")).toBe("7true")
    expect(value("int(' 42 ') + int(3.9) + float('0.5')")).toBe(45.5)
    expect(value("lower('ABC') + upper('d')")).toBe("abcD")
    expect(value("contains(flags.tags, 'a') and startswith(name, 'vic') and endswith(name, 'tor')")).toBe(true)
    expect(value("str(review)")).toBe("looks good")
    expect(value("bool([])")).toBe(false)
  })

  it("names the expression and the position in syntax errors", () => {
    const error = failure("count == ")
    expect(error.reason).toBe("Syntax")
    expect(error.position).toBe(10)
    expect(error.message).toBe("invalid expression \"count == \": unexpected end of expression at position 10")
    expect(failure("count = 1").message).toContain("at position 7")
    expect(failure("'open").message).toContain("unterminated string at position 1")
    expect(failure("count ; 1").message).toContain("unexpected character ';' at position 7")
    expect(failure("(1 + 2").message).toContain("expected ')'")
    expect(failure("len(1, 2)").message).toContain("len() takes 1 argument, got 2")
  })

  it("rejects anything unsafe", () => {
    // No function but the built-ins can be called, whatever the name or path.
    expect(failure("eval('1')").message).toContain("unknown function 'eval'")
    // Methods: only `.get()` exists.
    expect(failure("process.exit(1)").message).toContain("unknown method '.exit()'; known: get")
    expect(failure("name.toString()").message).toContain("unknown method '.toString()'; known: get")
    expect(failure("items[0](1)").message).toContain("only the built-in functions can be called")
    expect(failure("name.constructor.constructor('return process')()").reason).toBe("Syntax")
    expect(failure("`x`").message).toContain("unexpected character '`'")
    expect(failure("require").message).toContain("unknown name 'require'")
    // Prototype members are not data: they read as missing.
    expect(value("name.constructor")).toBe(null)
    expect(value("flags.__proto__")).toBe(null)
    expect(value("flags['constructor']")).toBe(null)
    expect(value("items.length")).toBe(null)
    expect(value("$ctx.__proto__")).toBe(null)
    expect(failure("constructor").message).toContain("unknown name 'constructor'")
    expect(failure("__proto__").message).toContain("unknown name '__proto__'")
  })

  it("reports evaluation errors clearly", () => {
    expect(failure("missing > 1").message).toContain("unknown name 'missing' (state keys: count, name")
    expect(failure("nothing > 1").message).toBe(
      "cannot evaluate \"nothing > 1\": cannot compare null with number 1 using '>' at position 9"
    )
    expect(failure("count / 0").message).toContain("division by zero")
    expect(failure("name + count").message).toContain("use str() to join text")
    expect(failure("int('x')").message).toContain("int() cannot convert string \"x\" to a number")
  })

  it("parses once and evaluates against any state", () => {
    const parsed = Either.getOrThrow(Expression.parse("n * 2"))
    expect(Expression.evaluate(parsed, { n: 2 })).toEqual(Either.right(4))
    expect(Expression.evaluate(parsed, { n: 5 })).toEqual(Either.right(10))
    expect(Expression.bareName(Either.getOrThrow(Expression.parse("approved")))).toBe("approved")
    expect(Expression.bareName(parsed)).toBeUndefined()
  })

  it("turns values into the text branches match", () => {
    expect(Expression.toText(true)).toBe("true")
    expect(Expression.toText(3)).toBe("3")
    expect(Expression.toText(null)).toBe("null")
    expect(Expression.toText("x")).toBe("x")
    expect(Expression.toText({ a: 1 })).toBe("{\"a\":1}")
  })
})
