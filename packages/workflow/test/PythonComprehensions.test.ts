import { describe, expect, it, layer } from "@effect/vitest"
import * as Expression from "@victor/workflow/Expression"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { RunLayer } from "./fixtures.ts"

const state = {
  solutions: ["def f(): pass", "   ", "", "def g(): pass\n"],
  additional: " x | | y ",
  ranked_results: [
    { source_title: "A", text: "alpha ".repeat(50) },
    { source_title: "B", text: "beta" },
    { source_title: "C", text: "gamma" }
  ],
  validated_sources: [
    { url: "https://a", credibility: 0.9, source_type: "paper" },
    { url: "https://b", credibility: 0.5, source_type: "blog" },
    "not a dict",
    { url: "", credibility: 0.95, source_type: "paper" },
    { url: "https://c", credibility: 0.75, source_type: "news" }
  ],
  all_documents: [{ content: "abc" }, { content: "de" }],
  all_evidence: [
    { claim: 1, supports: true, refutes: false },
    { claim: 2, supports: false, refutes: true },
    { claim: 3, supports: true, refutes: false, strong: true },
    "loose text",
    { claim: 4 }
  ],
  papers: [{ title: "T1", year: 1 }, { title: "T2", year: 2 }, { title: "T1", year: 3 }, { year: 4 }, { year: 5 }],
  words: ["b", "a", "c", "a"],
  nums: [3, 1, 2],
  obj: { x: 1, y: 2 },
  text: "hello world",
  x: "state x",
  nothing: null,
  pairs: [["a", 1], ["b", 2]]
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

describe("Expression: comprehensions", () => {
  it("list comprehensions with filters, several ifs, nested fors and tuple targets", () => {
    expect(value("[s for s in solutions if s.strip()]")).toEqual(["def f(): pass", "def g(): pass\n"])
    expect(value("[s.strip() for s in additional.split('|') if s.strip()]")).toEqual(["x", "y"])
    expect(value("[n * 2 for n in nums]")).toEqual([6, 2, 4])
    expect(value("[n for n in range(10) if n % 2 if n > 3]")).toEqual([5, 7, 9])
    expect(value("[[a, b] for a in range(3) for b in range(a)]")).toEqual([[1, 0], [2, 0], [2, 1]])
    expect(value("[k + str(v) for k, v in pairs]")).toEqual(["a1", "b2"])
    expect(value("[k for (k, v) in obj.items() if v > 1]")).toEqual(["y"])
    expect(value("[i + n for i, (k, n) in enumerate(pairs)]")).toEqual([1, 3])
    // Python's iteration: a string's characters, an object's keys.
    expect(value("[c.upper() for c in 'abc']")).toEqual(["A", "B", "C"])
    expect(value("[k for k in obj]")).toEqual(["x", "y"])
    expect(value("[x if x > 1 else 0 for x in nums]")).toEqual([3, 0, 2])
    expect(value("[[y for y in range(x)] for x in range(3)]")).toEqual([[], [0], [0, 1]])
    expect(value("[]")).toEqual([])
  })

  it("the shapes of upstream files: multi-line, dict elements, isinstance filters, slices of the iterable", () => {
    expect(value(`[
      {
        "id": i + 1,
        "title": chunk.source_title,
        "excerpt": chunk.text[:10],
      }
      for i, chunk in enumerate(ranked_results[:2])
    ]`)).toEqual([{ id: 1, title: "A", excerpt: "alpha alph" }, { id: 2, title: "B", excerpt: "beta" }])
    expect(value(`[
      source.get('url')
      for source in validated_sources
      if isinstance(source, dict) and source.get('credibility', 0) >= 0.75 and source.get('url')
    ]`)).toEqual(["https://a", "https://c"])
    expect(value(`sorted({
      source.get('source_type')
      for source in validated_sources
      if isinstance(source, dict) and source.get('source_type')
    })`)).toEqual(["blog", "news", "paper"])
    expect(value("sum(len(doc.content) for doc in all_documents)")).toBe(5)
  })

  it("set and dict comprehensions", () => {
    // A set is a list of the distinct items, in the order first seen.
    expect(value("{w for w in words}")).toEqual(["b", "a", "c"])
    expect(value("{n % 2 for n in range(6)}")).toEqual([0, 1])
    expect(value("{v for v in [1, 1.0, True, None, None, '1']}")).toEqual([1, true, null, "1"])
    expect(failure("{p for p in pairs}").message).toContain("set items must be strings, numbers, booleans or None")
    expect(value("{k: v * 10 for k, v in obj.items()}")).toEqual({ x: 10, y: 20 })
    expect(value("{w: i for i, w in enumerate(words)}")).toEqual({ b: 0, a: 3, c: 2 })
    expect(failure("{n: n for n in nums}").message).toContain("a dict key must be a string, got number 3")
    const built = value("{k: 1 for k in ['__proto__']}") as Record<string, unknown>
    expect(Object.getPrototypeOf(built)).toBe(Object.prototype)
    expect(Object.keys(built)).toEqual(["__proto__"])
  })

  it("generator expressions: a call's only argument, or in parentheses", () => {
    expect(value("any(n > 2 for n in nums)")).toBe(true)
    expect(value("all(n > 2 for n in nums)")).toBe(false)
    expect(value("max(len(w) for w in solutions)")).toBe(14)
    expect(value("', '.join(w.upper() for w in words)")).toBe("B, A, C, A")
    expect(value("list(n for n in nums)")).toEqual([3, 1, 2])
    expect(value("sum((n for n in nums), 10)")).toBe(16)
    expect(failure("sum(n for n in nums, 10)").message).toContain(
      "a generator expression must be the only argument, or be put in parentheses at position 5"
    )
    expect(failure("max(1, n for n in nums)").message).toContain("a generator expression must be the only argument")
  })

  it("comprehension names are local: they shadow state while the comprehension runs and never leak", () => {
    expect(value("[x for x in nums]")).toEqual([3, 1, 2])
    expect(value("[[x for x in nums], x]")).toEqual([[3, 1, 2], "state x"])
    expect(failure("[n for n in nums] + [n]").message).toContain("unknown name 'n'")
    // The first iterable is read outside the comprehension, later ones inside it, as in Python.
    expect(value("[x for x in x.split()]")).toEqual(["state", "x"])
    expect(value("[y for x in pairs for y in x]")).toEqual(["a", 1, "b", 2])
    // An inner comprehension sees the outer one's names.
    expect(value("[[x + y for y in range(2)] for x in range(2)]")).toEqual([[0, 1], [1, 2]])
    // ctx, $ctx and locals() are still the state inside a comprehension.
    expect(value("[ctx.get('text') for _ in range(1)]")).toEqual(["hello world"])
    expect(value("['text' in locals() for _ in range(1)]")).toEqual([true])
  })

  it("comprehension errors name the problem and the position", () => {
    expect(failure("[n for n in nothing]").message).toContain(
      "cannot iterate over null; only over a list, a string or an object at position 4"
    )
    expect(failure("[n for n in 3]").message).toContain("cannot iterate over number 3")
    expect(failure("[a for a, b in nums]").message).toContain("cannot unpack number 3 into 2 names at position 8")
    expect(failure("[a for a, b in [[1, 2, 3]]]").message).toContain(
      "cannot unpack list [1,2,3] into 2 names (it has 3 items)"
    )
    expect(failure("[n for n nums]").message).toContain("expected 'in' after 'for ...' but found 'nums'")
    expect(failure("[n for 1 in nums]").message).toContain("expected a name after 'for' but found '1'")
    expect(failure("[n for True in nums]").message).toContain("expected a name after 'for' but found 'True'")
    expect(failure("[n for $ctx in nums]").message).toContain("expected a name after 'for' but found '$ctx'")
    expect(failure("[1, n for n in nums]").message).toContain("a comprehension must be alone in its brackets")
    expect(failure("{'a': 1, k: 1 for k in words}").message).toContain("a comprehension must be alone in its braces")
    expect(failure("[n for n in nums if]").message).toContain("unexpected ']'")
    expect(failure("[n.missing() for n in nums]").message).toContain("unknown method '.missing()'")
    expect(failure("[n + 'a' for n in nums]").message).toContain("cannot apply '+' to number and string")
    expect(failure("{'a', 'b'}").message).toContain("set literals are not supported")
  })

  it("comprehensions are bounded: nested loops cannot multiply into unbounded work", () => {
    const started = performance.now()
    expect(failure("[1 for a in range(10000) for b in range(10000)]").message).toContain(
      `the comprehensions of this expression would do more than ${Expression.maxSteps} steps of work`
    )
    expect(failure("[[b for b in range(10000)] for a in range(10000)]").message).toContain("more than")
    expect(failure("sum(len([b for b in range(10000)]) for a in range(10000))").message).toContain("more than")
    // Values built or scanned inside a loop count too: a large string copied per item fails quickly.
    const big = { s: "x".repeat(3_000_000), l: Array.from({ length: 3_000_000 }, () => 0) }
    expect(failure("[len(s + 'y') for _ in range(10)]", big).message).toContain("more than")
    expect(failure("[len(s.upper()) for _ in range(10)]", big).message).toContain("more than")
    expect(failure("[s.count('y') for _ in range(10)]", big).message).toContain("more than")
    expect(failure("[1 in l for _ in range(10)]", big).message).toContain("more than")
    expect(failure("[len(l[1:]) for _ in range(10)]", big).message).toContain("more than")
    expect(performance.now() - started).toBeLessThan(15_000)
    // One pass over a large list is fine.
    expect(value("len([n for n in l if n == 0])", big)).toBe(3_000_000)
    // Each clause nests one level deeper.
    const clauses = Array.from({ length: 250 }, () => "if 1").join(" ")
    expect(failure(`[x for x in [1] ${clauses}]`).message).toContain("nests deeper than 200 levels")
    expect(value(`[x for x in [1] ${Array.from({ length: 50 }, () => "if 1").join(" ")}]`)).toEqual([1])
  })

  it("is safe: comprehension names read only plain data", () => {
    expect(value("[w.__class__ for w in words[:1]]")).toEqual([null])
    expect(value("[o.constructor for o in [obj]]")).toEqual([null])
    expect(value("[k for k in {'__proto__': 1}]")).toEqual(["__proto__"])
    expect(failure("[w.__class__() for w in words]").message).toContain("unknown method '.__class__()'")
    expect(failure("[__import__('os') for w in words]").message).toContain("unknown function '__import__'")
  })
})

describe("Expression: slices", () => {
  it("lists and strings, with Python's negative and clamped indices and steps", () => {
    expect(value("[nums[:2], nums[1:], nums[:], nums[-2:], nums[:-1], nums[5:], nums[-10:1]]")).toEqual([
      [3, 1],
      [1, 2],
      [3, 1, 2],
      [1, 2],
      [3, 1],
      [],
      [3]
    ])
    expect(value("[text[:5], text[6:], text[-5:], text[::-1], text[::2], text[1:8:3], text[2:1]]")).toEqual([
      "hello",
      "world",
      "world",
      "dlrow olleh",
      "hlowrd",
      "eoo",
      ""
    ])
    expect(value("[nums[::-1], nums[-1::-2], nums[1:None], nums[None:None:None]]")).toEqual([
      [2, 1, 3],
      [2, 3],
      [1, 2],
      [3, 1, 2]
    ])
    const start = 1
    expect(value("nums[start:start + 1]", { ...state, start })).toEqual([1])
    expect(value("ctx.get('missing', [])[:3]")).toEqual([])
    expect(value("nums[:2][0]")).toBe(3)
    expect(value("words[len(words) - 1:]")).toEqual(["a"])
  })

  it("errors: not a sequence, non-integer indices, zero step", () => {
    expect(failure("obj[:1]").message).toContain(
      "cannot slice object {\"x\":1,\"y\":2}; only a string or a list at position 4"
    )
    expect(failure("nothing[1:]").message).toContain("cannot slice null")
    expect(failure("nums[1.5:]").message).toContain("slice indices must be integers or None, got number 1.5")
    expect(failure("nums['a':]").message).toContain("slice indices must be integers or None, got string \"a\"")
    expect(failure("nums[::0]").message).toContain("slice step cannot be zero")
    expect(failure("nums[1:2:3:4]").message).toContain("expected ']' but found ':'")
  })
})

describe("Expression: enumerate, isinstance, locals()", () => {
  it("enumerate() pairs each item with its index, from start", () => {
    expect(value("enumerate(words[:2])")).toEqual([[0, "b"], [1, "a"]])
    expect(value("enumerate('ab', 1)")).toEqual([[1, "a"], [2, "b"]])
    expect(value("enumerate(obj, start=5)")).toEqual([[5, "x"], [6, "y"]])
    expect(failure("enumerate(3)").message).toContain("cannot iterate over number 3")
    expect(failure("enumerate(words, 1.5)").message).toContain("enumerate() needs integers")
  })

  it("isinstance() knows dict, list, str, int, float and bool, alone or in a tuple", () => {
    expect(value(
      "[isinstance(obj, dict), isinstance(nums, list), isinstance(text, str), isinstance(3, int), " +
        "isinstance(3.5, float), isinstance(True, bool), isinstance(None, dict), isinstance(text, list)]"
    )).toEqual([true, true, true, true, true, true, false, false])
    // As in Python, a bool is an int; JSON does not keep 1.0 apart from 1, so every number is a float.
    expect(value("[isinstance(True, int), isinstance(3.5, int), isinstance(3, float), isinstance(1, bool)]"))
      .toEqual([true, false, true, false])
    expect(value("[isinstance(3.5, (int, float)), isinstance('a', (dict, list,)), isinstance(obj, (dict))]"))
      .toEqual([true, false, true])
    expect(failure("isinstance(obj, tuple)").message).toContain(
      "isinstance() needs a type (dict, list, str, int, float, bool) or a tuple of them, but found 'tuple'"
    )
    expect(failure("isinstance(obj, 'dict')").message).toContain("isinstance() needs a type")
    expect(failure("isinstance(obj)").message).toContain("isinstance() takes 2 arguments: a value and a type")
    expect(failure("isinstance(obj, dict, list)").message).toContain("isinstance() takes 2 arguments")
    expect(failure("isinstance(obj, ())").message).toContain("isinstance() needs a type")
  })

  it("locals() is the state, so `'name' in locals()` asks whether state has a key", () => {
    expect(value("'text' in locals()")).toBe(true)
    expect(value("'absent' in locals()")).toBe(false)
    expect(value("(attempt if 'attempt' in locals() else 0) + 1")).toBe(1)
    expect(value("(attempt if 'attempt' in locals() else 0) + 1", { attempt: 4 })).toBe(5)
    expect(value("locals().get('text')")).toBe("hello world")
    expect(failure("locals(1)").message).toContain("locals() takes 0 arguments, got 1")
  })
})

describe("Expression: keyword arguments", () => {
  it("fill a parameter by name, or set an option only a keyword can", () => {
    expect(value("sorted(nums, reverse=True)")).toEqual([3, 2, 1])
    expect(value("sorted(words, reverse=False)")).toEqual(["a", "a", "b", "c"])
    expect(value("sum(nums, start=10)")).toBe(16)
    expect(value("round(3.14159, ndigits=2)")).toBe(3.14)
    expect(value("'a,b'.split(sep=',')")).toEqual(["a", "b"])
    expect(value("sorted(nums, reverse = True,)")).toEqual([3, 2, 1])
    expect(value("[n == 1 for n in nums]")).toEqual([false, true, false])
  })

  it("errors: unknown keywords, a value given twice, a positional argument after a keyword", () => {
    expect(failure("sorted(nums, key=1)").message).toContain(
      "sorted() has no keyword argument 'key'; it takes: reverse"
    )
    expect(failure("len(nums, x=1)").message).toContain("len() has no keyword argument 'x' (it takes none)")
    expect(failure("obj.get('x', default=1)").message).toContain(
      ".get() has no keyword argument 'default' (it takes none)"
    )
    expect(failure("sum(nums, 1, start=2)").message).toContain("sum() got 'start' both by position and by keyword")
    expect(failure("sum(start=2)").message).toContain("sum() needs the arguments before 'start'")
    expect(failure("sorted(nums, reverse=True, reverse=False)").message).toContain(
      "sorted() got keyword argument 'reverse' twice"
    )
    expect(failure("sorted(reverse=True, nums)").message).toContain(
      "a positional argument cannot follow a keyword argument"
    )
    expect(failure("sorted(nums, True=1)").message).toContain("'True' cannot name a keyword argument")
    expect(failure("sorted(nums, constructor=1)").message).toContain("has no keyword argument 'constructor'")
    expect(failure("nums = 1").message).toContain("unexpected '=' (use '==' to compare) at position 6")
    expect(failure("[n = 1]").message).toContain("expected ']' but found '='")
  })

  it("filter(list, field=value, ...) keeps the objects whose fields all equal the values", () => {
    // Upstream writes lowercase `true`, which the language reads as True.
    expect(value("[e['claim'] for e in filter(all_evidence, supports=true)]")).toEqual([1, 3])
    expect(value("[e['claim'] for e in filter(all_evidence, refutes=true)]")).toEqual([2])
    expect(value("filter(all_evidence, supports=True, strong=True)")).toEqual([
      { claim: 3, supports: true, refutes: false, strong: true }
    ])
    // Items that are not objects, or lack the field, are not kept.
    expect(value("filter(all_evidence, supports=None)")).toEqual([])
    expect(value("filter([], a=1)")).toEqual([])
    expect(failure("filter(all_evidence)").message).toContain("filter() needs at least one field=value criterion")
    expect(failure("filter(obj, a=1)").message).toContain("filter() needs a list, got object")
  })

  it("deduplicate(list, by=field) keeps the first object for each value of the field", () => {
    expect(value("deduplicate(papers, by='title')")).toEqual([
      { title: "T1", year: 1 },
      { title: "T2", year: 2 },
      { year: 4 },
      { year: 5 }
    ])
    expect(value("deduplicate(words)")).toEqual(["b", "a", "c"])
    expect(failure("deduplicate(pairs)").message).toContain(
      "the items of deduplicate() without by= must be strings, numbers, booleans or None"
    )
    expect(failure("deduplicate([{'t': [1]}, {'t': [1]}], by='t')").message).toContain(
      "deduplicate() by=\"t\" needs strings, numbers, booleans or None, got list [1]"
    )
    expect(failure("deduplicate(papers, by=1)").message).toContain("deduplicate() by= needs a string")
  })
})

const fixture = `${import.meta.dirname}/fixtures/upstream/expressions_comprehensions.yaml`

layer(RunLayer)("Python comprehensions in a workflow file", (it) => {
  it.effect("a workflow using every construct loads, validates and runs; comprehension names stay out of state", () =>
    Effect.gen(function*() {
      const workflow = yield* WorkflowLoader.loadFile(fixture)
      const findings = yield* WorkflowValidation.check(workflow)
      expect(WorkflowValidation.errors(findings).map((finding) => finding.message)).toEqual([])
      const context = {
        drafts: ["one", "  ", "three"],
        more_drafts: "four| |five",
        hits: [{ title: "H1", body: "a long body of text" }, { title: "H2", body: "short" }, { title: "H3", body: "" }],
        checked: [
          { link: "https://x", trust: 0.9, kind: "paper" },
          { link: "https://y", trust: 0.2, kind: "blog" },
          "junk",
          { link: "https://z", trust: 0.8, kind: "paper" }
        ],
        claims: [{ id: 1, backs: true }, { id: 2, backs: false, checked: true }, { id: 3, backs: false }]
      }
      const result = yield* WorkflowExecutor.execute(workflow, { context })
      expect(result.error).toBe(null)
      expect(result.status).toBe("succeeded")
      expect(result.state).toMatchObject({
        kept_drafts: ["one", "three"],
        all_drafts: ["one", "three", "four", "five"],
        attempt: 1,
        attempt_limit: 3,
        citations: [
          { n: 1, title: "H1", snippet: "a long body " },
          { n: 2, title: "H2", snippet: "short" }
        ],
        trusted_links: ["https://x", "https://z"],
        kinds: ["blog", "paper"],
        body_chars: 24,
        trust_by_link: { "https://x": 0.9, "https://y": 0.2, "https://z": 0.8 },
        backing: [{ id: 1, backs: true }],
        against: [{ id: 2, backs: false, checked: true }],
        ranked: [5, 4, 4, 3],
        first_two: ["one", "three"],
        tail: ["three", "four", "five"],
        window: ["one", "three"],
        summary: { drafts: 4, top_links: ["https://x"], kinds: ["blog", "paper"], gaps: [] },
        verdict: "cited 2 of 3"
      })
      for (const local of ["d", "n", "hit", "entry", "c"]) expect(result.state).not.toHaveProperty(local)
    }))

  it.effect("Python statements stay unsupported, by line, next to comprehensions", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(WorkflowLoader.parse(
        [
          "nodes:",
          "  - id: t",
          "    type: transform",
          "    transform: |",
          "      kept = [s for s in items if s.strip()]",
          "      for s in items:",
          "        kept.append(s)"
        ].join("\n") + "\n",
        "flow.yaml"
      ))
      expect(error.message).toContain(
        "transform line 2 \"for s in items:\" is an unsupported Python statement"
      )
    }))
})
