/**
 * The loader decodes nodes with schemas compiled by `internal/fastDecode.ts`, a fast path held here to Schema as the
 * oracle (as `packages/core/test/SchemaOracle.test.ts` holds the trace codecs), on inputs generated from the encoded
 * side of the same schemas by Effect's `Arbitrary`, as written and mutated (wrong types, missing and extra fields,
 * a renamed field written under both names):
 *
 * - what the fast path accepts, Schema accepts too, with the same value (`toStrictEqual`: same keys, same values);
 * - what Schema rejects, the fast path leaves to Schema (`undefined`);
 * - it is not vacuous: every built-in kind's schema compiles, and every valid generated record is decoded by the
 *   fast path itself (but for an own `__proto__` key, which it leaves to Schema by design);
 * - the loader's decoder, which uses it node by node, gives what decoding the whole workflow with Schema gives.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as fc from "effect/FastCheck"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as FastDecode from "../src/internal/fastDecode.ts"
import * as Kinds from "../src/internal/kinds.ts"
import * as NodeRecords from "../src/internal/nodeRecords.ts"
import * as WorkflowDefinition from "../src/WorkflowDefinition.ts"

// Small values (see SchemaOracle.test.ts): the size is read when an arbitrary is built, for this whole file.
fc.configureGlobal({ ...fc.readConfigureGlobal(), baseSize: "xsmall" })

const schemas: ReadonlyArray<readonly [string, Schema.Schema<unknown, unknown>]> = [
  ...Array.from(Kinds.builtin, ([type, kind]) => [type, kind.schema as Schema.Schema<unknown, unknown>] as const),
  ["workflow fields", WorkflowDefinition.makeWorkflowSpec(Schema.Unknown) as Schema.Schema<unknown, unknown>]
]

const hasProtoKey = (value: unknown): boolean =>
  typeof value === "object" && value !== null &&
  (Object.hasOwn(value, "__proto__") || Object.values(value).some(hasProtoKey))

/** The fast path agrees with Schema on one input: `true` when it decoded it itself. */
const agree = (fast: FastDecode.FastDecode<unknown>, schema: Schema.Schema<unknown, unknown>, input: unknown) => {
  const decoded = fast(input)
  const oracle = Schema.decodeUnknownEither(schema)(input)
  if (decoded === undefined) return false
  expect(Either.isRight(oracle)).toBe(true)
  expect(decoded.value).toStrictEqual(Either.getOrThrow(oracle))
  return true
}

/** The encoded field names of a struct schema, and its renames (`parallel_nodes` -> `parallelNodes`). */
const fieldsOf = (schema: Schema.Schema<unknown, unknown>) => {
  const ast = schema.ast
  const renames = SchemaAST.isTransformation(ast) && ast.transformation._tag === "TypeLiteralTransformation"
    ? ast.transformation.propertySignatureTransformations
      .filter((t) => t.from !== t.to)
      .map((t) => [String(t.from), String(t.to)] as const)
    : []
  const encoded = SchemaAST.getPropertySignatures(SchemaAST.encodedAST(ast)).map((p) => String(p.name))
  return { encoded, renames }
}

const protoKey = (value: unknown) => {
  const object: Record<string, unknown> = {}
  Object.defineProperty(object, "__proto__", { value, enumerable: true, writable: true, configurable: true })
  return object
}

/** Values a field is set to: `undefined` removes it. */
const junk: ReadonlyArray<unknown> = [
  undefined,
  null,
  "text",
  "",
  1.5,
  -1,
  0,
  Number.NaN,
  true,
  [],
  ["a", 1],
  ["a"],
  {},
  { x: 1 },
  { llm_allowed: false },
  protoKey({ x: 1 })
]

type Mutation = (record: Record<string, unknown>) => void

/** Mutations of one record: a field removed or of a wrong type, an extra field, a renamed field under both names. */
const mutations = (schema: Schema.Schema<unknown, unknown>): fc.Arbitrary<Mutation> => {
  const { encoded, renames } = fieldsOf(schema)
  const set = (key: string, value: unknown): Mutation => (record) => {
    if (value === undefined) delete record[key]
    else record[key] = value
  }
  const keys = [...encoded, ...renames.map(([, to]) => to), "extra", "__proto__", "constructor", "toString"]
  const field = fc.tuple(fc.constantFrom(...keys), fc.constantFrom(...junk)).map(([key, value]) => set(key, value))
  const collisions: Array<fc.Arbitrary<Mutation>> = renames.map(([from, to]) =>
    fc.tuple(fc.boolean(), fc.constantFrom(...junk)).map(([move, value]): Mutation => (record) => {
      const current = Object.hasOwn(record, from) ? record[from] : value
      // Moved to the other name, or written under both (with a wrong value, or the same one).
      record[to] = move ? current : value ?? current
      if (move) delete record[from]
    })
  )
  return fc.oneof(field, ...collisions)
}

/**
 * Records as written: from the encoded side (whose filters are gone: many invalid), and valid ones encoded from
 * values of the type side.
 */
const written = (schema: Schema.Schema<unknown, unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(Arbitrary.make(Schema.encodedSchema(schema)), Arbitrary.make(schema).map(Schema.encodeSync(schema)))

const mutated = (schema: Schema.Schema<unknown, unknown>) =>
  fc.tuple(written(schema), fc.array(mutations(schema), { minLength: 1, maxLength: 3 }))
    .map(([input, changes]) => {
      const record = { ...(input as Record<string, unknown>) }
      for (const change of changes) change(record)
      return record
    })

describe("fastDecode against Schema", () => {
  for (const [name, schema] of schemas) {
    const fast = FastDecode.compile(schema)

    it(`${name}: compiles`, () => {
      expect(fast).toBeDefined()
    })

    it(`${name}: decodes every valid generated record as Schema does`, () => {
      let valid = 0
      fc.assert(
        fc.property(written(schema), (input) => {
          const decodedItself = agree(fast!, schema, input)
          if (Either.isRight(Schema.decodeUnknownEither(schema)(input))) {
            valid++
            if (!hasProtoKey(input)) expect(decodedItself).toBe(true)
          }
        }),
        { numRuns: 300 }
      )
      // Not vacuous: many generated records are valid.
      expect(valid).toBeGreaterThan(100)
    })

    it.prop(`${name}: accepts and refuses mutated records as Schema does`, [mutated(schema)], ([input]) => {
      agree(fast!, schema, input)
    }, { fastCheck: { numRuns: 500 } })

    it.prop(`${name}: refuses what is not a record`, [fc.constantFrom(...junk)], ([input]) => {
      agree(fast!, schema, input)
    })
  }
})

describe("fastDecode's limits", () => {
  it("leaves unions it cannot tell apart, and schemas it does not know, to Schema", () => {
    expect(FastDecode.compile(WorkflowDefinition.Node)).toBeUndefined()
    expect(FastDecode.compile(Schema.Union(Schema.String, Schema.Literal("a")))).toBeUndefined()
    expect(FastDecode.compile(Schema.Date)).toBeUndefined()
    expect(FastDecode.compile(Schema.Struct({ a: Schema.BigInt }))).toBeUndefined()
    expect(FastDecode.compile(Schema.Record({ key: Schema.String.pipe(Schema.minLength(1)), value: Schema.Number })))
      .toBeUndefined()
    expect(FastDecode.compile(Schema.Union(Schema.Literal("a", "b"), Schema.Number, Schema.Undefined))).toBeDefined()
  })

  it("leaves an own `__proto__` record key to Schema, and ignores it as an excess field as Schema does", () => {
    const condition = Kinds.builtin.get("condition")!.schema as Schema.Schema<unknown, unknown>
    const fast = FastDecode.compile(condition)!
    const base = { type: "condition", id: "c", condition: "true" }
    expect(fast(JSON.parse(`{"type":"condition","id":"c","condition":"x","branches":{"__proto__":"n"}}`)))
      .toBeUndefined()
    expect(agree(fast, condition, JSON.parse(`{"type":"condition","id":"c","condition":"x","__proto__":{"a":1}}`)))
      .toBe(true)
    expect(agree(fast, condition, Object.create(base))).toBe(false)
  })
})

describe("the loader's node-by-node decoder", () => {
  const decode = NodeRecords.decoderOf(Kinds.builtin)
  const whole = Schema.decodeUnknownEither(WorkflowDefinition.WorkflowSpec, { errors: "all" })

  it.prop("gives what decoding the whole workflow with Schema gives", [
    written(WorkflowDefinition.WorkflowSpec as Schema.Schema<unknown, unknown>)
  ], ([raw]) => {
    const expected = whole(raw)
    const decoded = decode(raw)
    if (Either.isRight(expected)) expect(Either.getOrThrow(decoded)).toStrictEqual(expected.right)
    else expect(Either.isLeft(decoded) && decoded.left.message).toBe(expected.left.message)
  }, { fastCheck: { numRuns: 200 } })
})
