// Functions a plugin registers for expressions (`FunctionPlugin.functions`): transforms and conditions call them by
// name, validation resolves the names against the registry, and what they return must be plain data.
import { describe, expect, it, layer } from "@effect/vitest"
import * as Expression from "@victor/workflow/Expression"
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as WorkflowExecutor from "@victor/workflow/WorkflowExecutor"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as WorkflowValidation from "@victor/workflow/WorkflowValidation"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import { RunLayer } from "./fixtures.ts"

const lines = (...text: ReadonlyArray<string>) => text.join("\n") + "\n"
const load = (source: string) => WorkflowLoader.parse(source, "maintenance.yaml")

class Schedule {
  constructor(readonly days: number) {}
}

/** What upstream Victor's runtime defines for its maintenance workflow, and some misbehaving functions. */
const maintenance = FunctionRegistry.plugin("maintenance", {
  functions: {
    calculate_next_maintenance: ([lastDay], { every }) => ({ day: Number(lastDay) + Number(every ?? 30) }),
    is_overdue: ([next, today]) => Number((next as { day: number }).day) < Number(today),
    explode: () => {
      throw new Error("sensor offline")
    },
    give_function: () => ({ fix: () => "pwned" }),
    give_instance: () => new Schedule(7),
    give_cycle: () => {
      const node: Record<string, unknown> = { name: "loop" }
      node["self"] = node
      return [node]
    },
    give_nothing: () => undefined,
    mutate: ([list]) => {
      ;(list as Array<unknown>).push("injected")
      return (list as Array<unknown>).length
    },
    len: () => 999
  }
})

const names = [...Expression.functionNames, "calculate_next_maintenance", "explode", "give_cycle", "give_function"]
  .concat(["give_instance", "give_nothing", "is_overdue", "mutate"])
  .sort()
  .join(", ")

const WithPlugin = Layer.merge(RunLayer, FunctionRegistry.layer([maintenance]))

layer(WithPlugin, { excludeTestServices: true })("plugin functions in a run", (it) => {
  it.effect("a transform and a condition call them; their results land in state; keywords are passed by name", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: plan",
        "    type: transform",
        "    transform:",
        "      - next = calculate_next_maintenance(last_day, every=14)",
        "      - default_next = calculate_next_maintenance(last_day)",
        "      - blank = give_nothing()",
        "  - id: check",
        "    type: condition",
        "    condition: is_overdue(next, today) and len(next) == 1",
        "    branches: { true: overdue, false: fine }",
        "  - { id: overdue, type: transform, transform: status = 'overdue', next: done }",
        "  - { id: fine, type: transform, transform: status = 'fine' }",
        "  - { id: done, type: transform, transform: finished = True }"
      ))
      expect(WorkflowValidation.errors(yield* WorkflowValidation.check(workflow))).toEqual([])
      const late = yield* WorkflowExecutor.execute(workflow, { context: { last_day: 100, today: 120 } })
      expect(late.status).toBe("succeeded")
      expect(late.state).toMatchObject({
        next: { day: 114 },
        default_next: { day: 130 },
        blank: null,
        status: "overdue"
      })
      expect(late.trace.nodes[1]!.outputs).toMatchObject({ value: true, branch: "true" })
      const early = yield* WorkflowExecutor.execute(workflow, { context: { last_day: 100, today: 101 } })
      expect(early.state["status"]).toBe("fine")
    }))

  it.effect("an unknown function is a validation error naming it and the registered functions, at its field", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - id: plan",
        "    type: transform",
        "    transform:",
        "      - ok = calculate_next_maintenance(1)",
        "      - due = compute_due_date(ok)",
        "  - id: check",
        "    type: condition",
        "    condition: sensor_ok(due)",
        "    branches: { true: plan, default: plan }"
      ))
      const errors = WorkflowValidation.errors(yield* WorkflowValidation.check(workflow))
      expect(errors.map((f) => [f.nodeId, f.line, f.column])).toEqual([["plan", 5, 7], ["check", 9, 16]])
      expect(errors[0]!.message).toBe(
        "maintenance.yaml:5:7: node 'plan', assignment 'due': unknown function 'compute_due_date'; " +
          `registered functions: ${names}; plugins add more`
      )
      expect(errors[1]!.message).toBe(
        "maintenance.yaml:9:16: node 'check': unknown function 'sensor_ok'; " +
          `registered functions: ${names}; plugins add more`
      )
      // A run checks first: nothing runs.
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.status).toBe("failed")
      expect(result.error).toContain("unknown function 'compute_due_date'")
      expect(result.trace.nodes).toEqual([])
    }))

  it.effect("a function that throws fails its node, naming the function", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: read, type: transform, transform: reading = explode(1) }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow)
      expect(result.status).toBe("failed")
      expect(result.trace.nodes[0]!.error).toBe(
        "reading: cannot evaluate \"explode(1)\": function 'explode' failed: sensor offline at position 1"
      )
      const condition = yield* load(lines(
        "nodes:",
        "  - { id: gate, type: condition, condition: 'explode()', branches: { default: gate } }"
      ))
      expect((yield* WorkflowExecutor.execute(condition)).trace.nodes[0]!.error).toContain(
        "function 'explode' failed: sensor offline"
      )
    }))

  it.effect("a result that is not plain data fails the node clearly, and nothing reaches state", () =>
    Effect.gen(function*() {
      const errors: Array<string | null> = []
      for (const f of ["give_function", "give_instance", "give_cycle"]) {
        const workflow = yield* load(lines("nodes:", `  - { id: f, type: transform, transform: x = ${f}() }`))
        const result = yield* WorkflowExecutor.execute(workflow)
        expect(result.state).not.toHaveProperty("x")
        errors.push(result.trace.nodes[0]!.error)
      }
      expect(errors).toEqual([
        "x: cannot evaluate \"give_function()\": function 'give_function' returned a value holding, at fix, a " +
        "function; only null, booleans, numbers, strings, lists and plain objects are data at position 1",
        "x: cannot evaluate \"give_instance()\": function 'give_instance' returned an instance of Schedule; only " +
        "null, booleans, numbers, strings, lists and plain objects are data at position 1",
        "x: cannot evaluate \"give_cycle()\": function 'give_cycle' returned a cyclic value: at [0].self it refers " +
        "back to a value that contains it; only null, booleans, numbers, strings, lists and plain objects are data " +
        "at position 1"
      ])
    }))

  it.effect("a function gets copies of its arguments: it cannot change state in place", () =>
    Effect.gen(function*() {
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: m, type: transform, transform: n = mutate(items) }"
      ))
      const result = yield* WorkflowExecutor.execute(workflow, { context: { items: ["a"] } })
      expect(result.state).toMatchObject({ n: 2, items: ["a"] })
    }))

  it.effect("a plugin cannot replace a built-in: len stays len, and a node calling it is warned", () =>
    Effect.gen(function*() {
      const registry = yield* FunctionRegistry.current
      expect(registry.functions.has("len")).toBe(false)
      const workflow = yield* load(lines(
        "nodes:",
        "  - { id: count, type: transform, transform: n = len(items) }"
      ))
      const findings = yield* WorkflowValidation.check(workflow)
      expect(findings.map((f) => [f.severity, f.message])).toEqual([[
        "warning",
        "maintenance.yaml:2:46: node 'count', assignment 'n': len() is the built-in function: plugin 'maintenance' " +
        "defines a function 'len' too, which is never called; rename the plugin's function"
      ]])
      const result = yield* WorkflowExecutor.execute(workflow, { context: { items: [1, 2, 3] } })
      expect(result.state["n"]).toBe(3)
    }))
})

describe("plugin functions in Expression", () => {
  const functions = FunctionRegistry.make([maintenance]).functions
  const evaluate = (source: string, state: Record<string, unknown> = {}) =>
    Expression.evaluateString(source, state, { functions })

  it("a call of any bare name parses; it runs only when the evaluation is given the function", () => {
    const parsed = Expression.parse("calculate_next_maintenance(d, every=7) if ok else nothing_here(x, y=1)")
    expect(Either.isRight(parsed)).toBe(true)
    if (Either.isLeft(parsed)) return
    expect(Expression.functionCalls(parsed.right)).toEqual([
      { name: "calculate_next_maintenance", position: 1 },
      { name: "nothing_here", position: 51 }
    ])
    expect(Expression.evaluate(parsed.right, { d: 1, ok: true }, { functions })).toEqual(Either.right({ day: 8 }))
    const missing = Expression.evaluate(parsed.right, { ok: false, x: 1 }, { functions })
    expect(Either.isLeft(missing) && missing.left.message).toBe(
      `cannot evaluate ${JSON.stringify(parsed.right.source)}: unknown function 'nothing_here'; registered ` +
        `functions: ${names}; plugins add more at position 51`
    )
  })

  it("keeps parse-time failures for unknown methods and calls of anything but a name", () => {
    const syntax = (source: string) => {
      const result = Expression.parse(source)
      return Either.isLeft(result) ? result.left.message : "parsed"
    }
    expect(syntax("x.calculate_next_maintenance()")).toContain("unknown method '.calculate_next_maintenance()'")
    expect(syntax("items[0](1)")).toContain("only the built-in functions can be called")
    expect(syntax("$ctx(1)")).toContain("'$ctx' cannot be called here")
    expect(syntax("f(a=1, a=2)")).toContain("f() got keyword argument 'a' twice")
    expect(syntax("f(a=1, 2)")).toContain("a positional argument cannot follow a keyword argument")
    expect(syntax("len(1, 2)")).toContain("len() takes 1 argument, got 2")
    expect(syntax("len(x, key=1)")).toContain("len() has no keyword argument 'key'")
  })

  it("refuses results JSON cannot hold, and functions inside comprehensions see each item", () => {
    const bad = FunctionRegistry.make([
      FunctionRegistry.plugin("bad", {
        functions: {
          nan: () => Number.NaN,
          deep: () => {
            let value: unknown = 1
            for (let i = 0; i < 5_000; i++) value = [value]
            return value
          },
          promise: () => Promise.resolve(1),
          effect: () => Effect.succeed(1),
          proto: () => JSON.parse("{\"__proto__\": {\"polluted\": true}}"),
          double: ([x]) => Number(x) * 2
        }
      })
    ]).functions
    const run = (source: string) => Expression.evaluateString(source, { xs: [1, 2, 3] }, { functions: bad })
    const message = (source: string) => Either.match(run(source), { onLeft: (e) => e.message, onRight: String })
    expect(message("nan()")).toContain("function 'nan' returned number NaN, which JSON cannot hold")
    expect(message("deep()")).toContain("a value nested deeper than 1000 levels")
    expect(message("promise()")).toContain("returned a Promise (a registered function returns its value directly)")
    expect(message("effect()")).toContain("returned an Effect")
    // `__proto__` is an ordinary key of the copy, never its prototype.
    const proto = run("proto()")
    expect(Either.isRight(proto) && Object.getPrototypeOf(proto.right)).toBe(Object.prototype)
    expect(Either.isRight(proto) && Object.hasOwn(proto.right as object, "__proto__")).toBe(true)
    expect(run("[double(x) for x in xs]")).toEqual(Either.right([2, 4, 6]))
    // Without the registry's functions, only the built-ins are known.
    expect(Either.getLeft(Expression.evaluateString("double(1)", {})).pipe((e) => e._tag === "Some" && e.value.message))
      .toContain("unknown function 'double'; registered functions: abs, all, any")
    expect(evaluate("give_nothing()")).toEqual(Either.right(null))
  })
})
