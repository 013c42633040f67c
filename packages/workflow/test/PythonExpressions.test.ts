import { describe, expect, it, layer } from "@effect/vitest"
import * as Expression from "@victor/workflow/Expression"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { RunLayer } from "./fixtures.ts"

const state = {
  test_results: { passed: true, failed: 0 },
  refactor_result: { files: ["a.ts", "b.ts"] },
  tdd_iteration: 2,
  zero: 0,
  web_results: { web: 1, shared: "web", urls: ["w"] },
  academic_results: null,
  code_results: { code: 3, shared: "code", urls: ["c1", "c2"] },
  a: [1, 2],
  b: [3],
  scores: [3, 1, 2],
  words: ["b", "a", "c"],
  title: "  Fix Login Bug  ",
  nothing: null,
  flag: true,
  obj: { x: 1 }
}

const value = (source: string, on: Record<string, unknown> = state) => {
  const result = Expression.evaluateString(source, on as never)
  if (Either.isLeft(result)) throw new Error(`unexpected failure: ${result.left.message}`)
  return result.right
}

const failure = (source: string, on: Record<string, unknown> = state) => {
  const result = Expression.evaluateString(source, on as never)
  if (Either.isRight(result)) throw new Error(`expected ${source} to fail, got ${JSON.stringify(result.right)}`)
  return result.left
}

describe("Expression: the Python subset of upstream workflow files", () => {
  it("dict literals with string keys, expression keys and trailing commas", () => {
    expect(value("{\"a\": 1, \"b\": tdd_iteration}")).toEqual({ a: 1, b: 2 })
    expect(value("{}")).toEqual({})
    expect(value("{'k' + str(zero): [1, 2,], 'n': {'x': None},}")).toEqual({ k0: [1, 2], n: { x: null } })
    expect(value("max(1, 2,)")).toBe(2)
    expect(value("{'a': 1, 'a': 2}")).toEqual({ a: 2 })
    // `__proto__` is an ordinary own key of a built object, never its prototype.
    const built = value("{'__proto__': {'polluted': 1}}") as Record<string, unknown>
    expect(Object.getPrototypeOf(built)).toBe(Object.prototype)
    expect(Object.keys(built)).toEqual(["__proto__"])
    expect(value("{'__proto__': 1}.get('__proto__')")).toBe(1)
    expect(failure("{1: 'x'}").message).toContain("a dict key must be a string, got number 1 at position 2")
    expect(failure("{'a' 1}").message).toContain("expected ':' after a dict key but found '1'")
    expect(failure("{'a': 1").message).toContain("expected '}' but found end of expression")
    expect(failure("{'a', 'b'}").message).toContain("(set literals are not supported; set comprehensions")
  })

  it("conditional expressions: lowest precedence, only the chosen branch is evaluated", () => {
    expect(value("tdd_iteration + 1 if tdd_iteration else 1")).toBe(3)
    expect(value("zero + 1 if zero else 1")).toBe(1)
    expect(value("'a' if flag or zero else 'b'")).toBe("a")
    expect(value("1 if False else 2 if False else 3")).toBe(3)
    expect(value("(1 if flag else 2) + 10")).toBe(11)
    // The branch not taken is never evaluated, so a missing name there is no error.
    expect(value("missing_name if False else 'safe'")).toBe("safe")
    expect(value("'safe' if True else 1 / 0")).toBe("safe")
    expect(failure("1 if flag").message).toContain("expected 'else' but found end of expression at position 10")
    expect(failure("1 if flag else").message).toContain("unexpected end of expression")
  })

  it("is / is not: None and booleans by identity, lists and objects by reference, never numbers or strings", () => {
    expect(value("nothing is None")).toBe(true)
    expect(value("ctx.get('absent') is None")).toBe(true)
    expect(value("zero is None")).toBe(false)
    expect(value("test_results is not None")).toBe(true)
    expect(value("flag is True and flag is not False")).toBe(true)
    expect(value("obj is obj")).toBe(true)
    expect(value("obj is {'x': 1}")).toBe(false)
    expect(value("zero is 0")).toBe(false)
    expect(value("1 is not None is not False")).toBe(true)
  })

  it("ctx is the whole state unless state has a key named ctx", () => {
    expect(value("ctx.get(\"test_results\", {}).get(\"passed\", False)")).toBe(true)
    expect(value("ctx.get(\"refactor_result\", {}).get(\"files\", [])")).toEqual(["a.ts", "b.ts"])
    expect(value("ctx.get(\"missing\", {}).get(\"files\", [])")).toEqual([])
    expect(value("ctx.tdd_iteration")).toBe(2)
    expect(value("ctx", { ctx: "mine" })).toBe("mine")
    expect(value("'a' in ctx", { a: 1 })).toBe(true)
    expect(Expression.bareName(Either.getOrThrow(Expression.parse("ctx")))).toBeUndefined()
  })

  it("merge() and concat()", () => {
    expect(value("merge(web_results, academic_results, code_results)")).toEqual({
      web: 1,
      shared: "code",
      urls: ["c1", "c2"],
      code: 3
    })
    expect(value("merge()")).toEqual({})
    expect(value("merge(None, {'a': 1},)")).toEqual({ a: 1 })
    expect(value("merge(a, b)")).toEqual([1, 2, 3])
    expect(value("concat(a, b)")).toEqual([1, 2, 3])
    expect(value("concat(a, None, b, [])")).toEqual([1, 2, 3])
    expect(value("concat('ab', 'c')")).toBe("abc")
    expect(value("concat()")).toEqual([])
    expect(failure("concat(a, 'x')").message).toContain("concat() needs lists only or strings only, got list, string")
  })

  it("merge() of lists concatenates them in order, skipping None; objects and lists never mix", () => {
    const evidence = {
      primary_evidence: [{ source: "a", claim: 1 }, { source: "b", claim: 2 }],
      fact_check_results: [{ source: "fc", verdict: "true" }],
      news_evidence: [{ source: "n1" }, { source: "n2" }],
      no_news: null,
      meta: { run: 1 },
      nums: [1, 2]
    }
    expect(value("merge(primary_evidence, fact_check_results, news_evidence)", evidence)).toEqual([
      { source: "a", claim: 1 },
      { source: "b", claim: 2 },
      { source: "fc", verdict: "true" },
      { source: "n1" },
      { source: "n2" }
    ])
    expect(value("merge(None, news_evidence, no_news, primary_evidence, [],)", evidence)).toEqual([
      { source: "n1" },
      { source: "n2" },
      { source: "a", claim: 1 },
      { source: "b", claim: 2 }
    ])
    expect(value("[e['source'] for e in merge(news_evidence, primary_evidence) if 'claim' not in e]", evidence))
      .toEqual(["n1", "n2"])
    expect(value("len(merge(primary_evidence, fact_check_results, news_evidence))", evidence)).toBe(5)
    // A new list: the arguments are never changed, and the result is not one of them.
    expect(value("[merge(nums) == nums, merge(nums) is nums, merge(nums, [3]), nums]", evidence)).toEqual([
      true,
      false,
      [1, 2, 3],
      [1, 2]
    ])
    expect(value("merge([[1]], [[2]])")).toEqual([[1], [2]])
    // With nothing but None there is nothing to tell lists from objects: the result is the empty object, as before.
    expect(value("[merge(), merge(None), merge(None, None)]")).toEqual([{}, {}, {}])
    expect(failure("merge(meta, primary_evidence)", evidence).message).toContain(
      "merge() cannot mix objects and lists: argument 1 is an object, argument 2 is a list at position 1"
    )
    expect(failure("merge(None, nums, no_news, meta)", evidence).message).toContain(
      "merge() cannot mix objects and lists: argument 2 is a list, argument 4 is an object"
    )
    expect(failure("merge(nums, 'x')", evidence).message).toContain(
      "merge() needs objects or lists, got string \"x\" as argument 2"
    )
    expect(failure("merge(3)").message).toContain("merge() needs objects or lists, got number 3 as argument 1")
  })

  it("integer subscripts on strings give a character, as on lists an item; out of range is null for both", () => {
    const on = { text: "hello", empty: "", xs: ["h", "e", "l", "l", "o"], words: ["bb", "a"] }
    expect(value("[text[0], text[1], text[4], text[-1], text[-5]]", on)).toEqual(["h", "e", "o", "o", "h"])
    expect(value("[xs[0], xs[1], xs[4], xs[-1], xs[-5]]", on)).toEqual(["h", "e", "o", "o", "h"])
    // Out of range, or not a whole number: null, on strings as on lists.
    expect(value("[text[5], text[-6], text[100], empty[0], empty[-1], text[1.5]]", on)).toEqual(
      [null, null, null, null, null, null]
    )
    expect(value("[xs[5], xs[-6], xs[100], [][0], [][-1], xs[1.5]]", on)).toEqual([null, null, null, null, null, null])
    // `text[i]` is `text[i:i + 1]` wherever that is one character.
    expect(value("all(text[i] == text[i:i + 1] and text[-i - 1] == text[::-1][i] for i in range(len(text)))", on))
      .toBe(true)
    expect(value("[text[i] for i in range(len(text))] == list(text)", on)).toBe(true)
    expect(value("[words[0][0], words[-1][-1], text[len(text) - 1], 'abc'[1], title[2]]", { ...on, title: "  Fix" }))
      .toEqual(["b", "a", "o", "b", "F"])
    expect(value("text[0] if text else ''", { text: "" })).toBe("")
    expect(value("text[0].upper() + text[1:]", on)).toBe("Hello")
    expect(failure("text[True]", on).message).toContain("an index must be a string or a number, got boolean")
    expect(failure("xs[None]", on).message).toContain("an index must be a string or a number, got null")
  })

  it("numeric and list built-ins", () => {
    expect(value("[min(scores), max(scores), min(3, 1, 2), max('a', 'b')]")).toEqual([1, 3, 1, "b"])
    expect(value("[sum(scores), sum(scores, 10), abs(-2.5), round(2.5), round(3.5), round(3.14159, 2)]")).toEqual([
      6,
      16,
      2.5,
      2,
      4,
      3.14
    ])
    expect(value("sorted(words)")).toEqual(["a", "b", "c"])
    expect(value("words")).toEqual(["b", "a", "c"])
    expect(value("[list('ab'), list(obj), list(a), list()]")).toEqual([["a", "b"], ["x"], [1, 2], []])
    expect(value("[dict(), dict(obj), dict([['k', 1]])]")).toEqual([{}, { x: 1 }, { k: 1 }])
    expect(value("[any([0, None, 1]), any([]), all([1, 'x']), all([])]")).toEqual([true, false, true, true])
    expect(value("[range(3), range(1, 7, 2), range(3, 0, -1), range(0)]")).toEqual([
      [0, 1, 2],
      [1, 3, 5],
      [3, 2, 1],
      []
    ])
    expect(failure("min([])").message).toContain("min() of an empty list")
    expect(failure("max(1, 'a')").message).toContain("max() needs numbers only or strings only")
    expect(failure("sum(['a'])").message).toContain("sum() needs a number, got string \"a\"")
    expect(failure("sorted(obj)").message).toContain("sorted() needs a list, got object")
    expect(failure("range(0, 20000)").message).toContain("range() would build 20000 items, over the limit of 10000")
    expect(failure("range(1, 2, 0)").message).toContain("range() step must not be zero")
    expect(failure("range(1.5)").message).toContain("range() needs integers")
    expect(failure("round()").message).toContain("round() takes 1 to 2 arguments, got 0")
    expect(failure("min()").message).toContain("min() takes at least 1 argument, got 0")
  })

  it("string, dict and list methods, and the allow-list of methods", () => {
    expect(value("obj.keys() + list(obj.values())")).toEqual(["x", 1])
    expect(value("obj.items()")).toEqual([["x", 1]])
    expect(value("title.strip().lower()")).toBe("fix login bug")
    expect(value("[title.upper().strip(), 'xxhixx'.strip('x'), 'xxhi'.lstrip('x'), 'hixx'.rstrip('x')]")).toEqual([
      "FIX LOGIN BUG",
      "hi",
      "hi",
      "hi"
    ])
    expect(value("['a,b,,c'.split(','), ' a  b '.split()]")).toEqual([["a", "b", "", "c"], ["a", "b"]])
    expect(value("title.strip().startswith('Fix') and title.strip().endswith('Bug')")).toBe(true)
    expect(value("', '.join(words)")).toBe("b, a, c")
    expect(value("['banana'.count('a'), [1, 2, 1].count(1), 'a-b'.replace('-', '+')]")).toEqual([3, 2, "a+b"])
    expect(failure("', '.join('abc')").message).toContain(".join() needs a list, got string \"abc\"")
    expect(failure("', '.join([1])").message).toContain(".join() needs a list of strings, got number 1 in it")
    expect(failure("a.join(words)").message).toContain(".join() needs a string on the left, got list")
    expect(failure("obj.lower()").message).toContain(".lower() needs a string on the left, got object")
    expect(failure("title.split('')").message).toContain(".split() needs a non-empty separator")
    expect(failure("obj.pop('x')").message).toContain(
      "unknown method '.pop()'; known: get, keys, values, items, lower, upper, strip, lstrip, rstrip, split, " +
        "startswith, endswith, join, count, replace"
    )
    expect(failure("title.format(1)").message).toContain("unknown method '.format()'")
  })

  it("newlines and a line-ending backslash are whitespace inside an expression", () => {
    expect(value("{\n  \"a\": 1,\n  \"b\": [\n    2,\n  ],\n}")).toEqual({ a: 1, b: [2] })
    expect(value("1 + \\\n 2")).toBe(3)
    const error = failure("{\n  'a': 1,\n  'b' 2\n}")
    expect(error.message).toContain("expected ':' after a dict key but found '2'")
    // Positions count the characters of the whole (multi-line) expression.
    expect(error.position).toBe(19)
  })

  it("Python syntax outside the language fails clearly", () => {
    expect(failure("lambda x: x").message).toContain("unsupported Python: 'lambda' at position 1")
    expect(failure("(1, 2)").message).toContain("tuples are not supported; use a list [..]")
    expect(failure("x = 1").message).toContain("unexpected '=' (use '==' to compare)")
  })

  it("is safe: no prototype, constructor or class access, and bounded in depth and size", () => {
    expect(failure("().__class__").message).toContain("tuples are not supported")
    expect(value("{}.constructor")).toBe(null)
    expect(value("''.__class__")).toBe(null)
    expect(value("{}.get('constructor')")).toBe(null)
    expect(value("ctx.__proto__")).toBe(null)
    expect(failure("{}.constructor('x')").message).toContain("unknown method '.constructor()'")
    expect(failure("''.join.call(1)").message).toContain("unknown method '.call()'")
    expect(failure("obj.__class__.__bases__()").message).toContain("unknown method '.__bases__()'")
    // Deep nesting fails to parse with a clear error instead of overflowing the stack.
    for (const deep of ["(".repeat(5000) + "1" + ")".repeat(5000), "[".repeat(300) + "]".repeat(300)]) {
      expect(failure(deep).message).toContain("expression nests deeper than 200 levels")
    }
    expect(failure("-".repeat(1000) + "1").message).toContain("nests deeper than 200 levels")
    expect(failure("not ".repeat(1000) + "1").message).toContain("nests deeper than 200 levels")
    expect(failure(Array.from({ length: 500 }, () => "1").join(" + ")).message).toContain("nests deeper than 200")
    expect(failure("obj" + ".x".repeat(500)).message).toContain("nests deeper than 200")
    expect(value("(".repeat(50) + "1" + ")".repeat(50))).toBe(1)
    // Values past 10,000,000 characters or items fail instead of growing without bound.
    const big = { s: "x".repeat(6_000_000), l: Array.from({ length: 6_000_000 }, () => 0) }
    expect(failure("s + s", big).message).toContain("'+' would build a string of 12000000 characters, over the limit")
    expect(failure("l + l", big).message).toContain("'+' would build a list of 12000000 items")
    expect(failure("concat(s, s)", big).message).toContain("concat() would build a string")
    expect(failure("concat(l, l)", big).message).toContain("concat() would build a list")
    expect(failure("merge(l, l)", big).message).toContain("merge() would build a list of 12000000 items")
    expect(failure("s.replace('x', 'xx')", big).message).toContain(".replace() would build a string")
    expect(failure("'ab'.join([s, s])", big).message).toContain(".join() would build a string")
    expect(value("len(s + 'y')", big)).toBe(6_000_001)
  })

  it("simple expressions stay fast", () => {
    const parsed = Either.getOrThrow(Expression.parse("count + 1 if count < 100 else 0"))
    const start = performance.now()
    let last: unknown
    for (let i = 0; i < 100_000; i++) last = Expression.evaluate(parsed, { count: i % 200 })
    expect(last).toEqual(Either.right(0))
    expect(performance.now() - start).toBeLessThan(2000)
  })
})

const fixture = `${import.meta.dirname}/fixtures/upstream/expressions.yaml`

layer(RunLayer)("Python expressions in a workflow file", (it) => {
  it.effect("a workflow using every construct loads and runs", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.loadFile(fixture)
      const findings = yield* WorkflowValidation.check(workflow)
      expect(WorkflowValidation.errors(findings).map((finding) => finding.message)).toEqual([])
      const result = yield* WorkflowExecutor.execute(workflow, { context: state })
      expect(result.error).toBe(null)
      expect(result.status).toBe("succeeded")
      expect(result.state).toMatchObject({
        passed: true,
        files: ["a.ts", "b.ts"],
        tdd_iteration: 3,
        findings: { web: 1, shared: "code", urls: ["c1", "c2"], code: 3 },
        sources: ["w", "c1", "c2"],
        missing: true,
        has_results: true,
        report: { passed: true, file_count: 2, first_file: "a.ts", iteration: 3 },
        numbers: [1, 3, 6, 2, 2, 3.14],
        total: 9,
        keywords: ["code", "shared", "urls", "web"],
        tags: "alpha, beta",
        shouted: "__FIX_LOGIN_BUG__",
        parts: ["", "", "Fix", "Login", "Bug", "", ""],
        starts: false,
        counted: 3,
        pairs: ["passed", true],
        flags: [true, true, true],
        outcome: "passed on iteration 3"
      })
      expect(result.state).not.toHaveProperty("failure_note")
    }))

  it.effect("a transform line that is a Python statement, or never closes its brackets, fails to load by line", () =>
    Effect.gen(function*() {
      const load = (...transform: ReadonlyArray<string>) =>
        Effect.flip(WorkflowLoader.parse(
          ["nodes:", "  - id: t", "    type: transform", "    transform: |", ...transform.map((l) => `      ${l}`)]
            .join("\n") + "\n",
          "flow.yaml"
        ))
      const loop = yield* load("x = 1", "for line in batch.split(\"\\n\"):", "  y = line")
      expect(loop.message).toContain(
        "transform line 2 \"for line in batch.split(\\\"\\\\n\\\"):\" is an unsupported Python statement"
      )
      for (const [statement, line] of [["if x:", 1], ["while True:", 1], ["import os", 1], ["def f(x):", 1]] as const) {
        expect((yield* load(statement)).message).toContain(
          `transform line ${line} ${JSON.stringify(statement)} is an unsupported Python statement`
        )
      }
      expect((yield* load("a = 1", "return a")).message).toContain("transform line 2 \"return a\" is an unsupported")
      expect((yield* load("f = lambda x: x")).message).toContain("unsupported Python: 'lambda'")
      const open = yield* load("a = 1", "result = {", "  'k': [1,", "  2,", "")
      expect(open.message).toContain("transform line 2 \"result = {\" opens '[' that is never closed")
      const bad = yield* load("a = 1", "result = {", "  'k' 1", "}")
      expect(bad.message).toContain("transform line 2: invalid expression")
      expect(bad.message).toContain("expected ':' after a dict key but found '1'")
      // A key named like a statement word is still an assignment.
      const ok = yield* WorkflowLoader.parse(
        [
          "nodes:",
          "  - id: t",
          "    type: transform",
          "    transform: |",
          "      if_done = 1",
          "      for_each = [",
          "        1",
          "      ]"
        ].join("\n") + "\n",
        "flow.yaml"
      )
      const run = yield* WorkflowExecutor.execute(ok)
      expect(run.state).toEqual({ if_done: 1, for_each: [1] })
    }))
})

describe("elapsed_time() in a run", () => {
  it.effect("counts the run's seconds on its Clock, in transforms and conditions alike", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.parse(
        [
          "nodes:",
          "  - id: before",
          "    type: transform",
          "    transform: t0 = elapsed_time()",
          "  - id: wait",
          "    type: compute",
          "    handler: wait_90s",
          "  - id: after",
          "    type: transform",
          "    transform: t1 = elapsed_time()",
          "  - id: slow",
          "    type: condition",
          "    condition: \"'slow' if elapsed_time() > 60 else 'fast'\"",
          "    branches:",
          "      slow: mark",
          "      fast: mark",
          "  - id: mark",
          "    type: transform",
          "    transform: marked = True"
        ].join("\n") + "\n",
        "elapsed.yaml"
      )
      const waits = FunctionRegistry.plugin("waits", {
        handlers: { wait_90s: () => Effect.as(Effect.sleep("90 seconds"), "waited") }
      })
      const fiber = yield* WorkflowExecutor.execute(workflow).pipe(
        Effect.provide(Layer.merge(RunLayer, FunctionRegistry.layer([waits]))),
        Effect.fork
      )
      // The clock moves once the run waits (a busy machine may not have started the fork yet).
      while ((yield* TestClock.sleeps()).length === 0) yield* Effect.yieldNow()
      yield* TestClock.adjust("90 seconds")
      const result = yield* Fiber.join(fiber)
      expect(result.error).toBe(null)
      expect(result.state).toMatchObject({ t0: 0, t1: 90, marked: true })
      expect(result.trace.nodes.find((node) => node.nodeId === "slow")?.outputs).toMatchObject({ branch: "slow" })
    }))
})
