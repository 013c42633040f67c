/**
 * A fast path for Schema decoding: a schema's AST compiled to a plain synchronous function, for the schemas the
 * loader decodes once per node (Effect's interpreter costs tens of milliseconds on a 10,000-node workflow).
 *
 * It is an accelerator, never an authority: it understands only the AST nodes the node kinds' schemas are built from,
 * and answers `undefined` for anything else, at compile time (the schema is not supported) or per input (the input
 * is not one it is sure about, valid or not). The caller then asks Schema, which decides and words the error. When
 * it does answer, its value is the one `Schema.decodeUnknownEither(schema)(input)` gives with the default options
 * (first error, excess properties ignored, Schema's property order): it follows Effect's `ParseResult` (decode `from`,
 * transform, decode `to` again), calling the schema's own filters and transformations; only a struct's renames and
 * defaults are done in one pass, where that is provably the same. `test/FastDecode.test.ts` holds it to Schema.
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import { isPlainObject } from "./plainData.ts"

/** A compiled decoder: the decoded value, or `undefined` to let Schema decide. */
export type FastDecode<A> = (input: unknown) => { readonly ok: true; readonly value: A } | undefined

/** What a step answers when it is not sure (or sure the input is invalid): Schema will tell which. */
const fail: unique symbol = Symbol("fastDecode/fail")

/** A struct field not written (nor defaulted). */
const absent: unique symbol = Symbol("fastDecode/absent")

/** One compiled AST node: the decoded value, or `fail`. */
type Step = (input: unknown) => unknown

/** The steps compiled so far, by AST node (`undefined`: not supported). */
type Memo = Map<SchemaAST.AST, Step | undefined>

/**
 * The decoder of a schema, or `undefined` when its AST uses something this compiler does not follow exactly. A
 * filter or transformation that throws makes the decoder answer `undefined` too (Schema then throws as it would).
 */
export const compile = <A, I, R>(schema: Schema.Schema<A, I, R>): FastDecode<A> | undefined => {
  const step = go(schema.ast, new Map())
  if (step === undefined) return undefined
  return (input) => {
    try {
      const value = step(input)
      return value === fail ? undefined : { ok: true, value: value as A }
    } catch {
      return undefined
    }
  }
}

// Effect's own decode options, with which filters and transformations are called when none are given.
const options = SchemaAST.defaultParseOption

// One function per check (not one made from a predicate), so that each call site sees few functions.
const identity: Step = (input) => input
const keywords: Partial<Record<SchemaAST.AST["_tag"], Step>> = {
  StringKeyword: (input) => typeof input === "string" ? input : fail,
  NumberKeyword: (input) => typeof input === "number" ? input : fail,
  BooleanKeyword: (input) => typeof input === "boolean" ? input : fail,
  UndefinedKeyword: (input) => input === undefined ? input : fail,
  UnknownKeyword: identity,
  AnyKeyword: identity
}

/** Compiles an AST node once (the kinds' schemas share most of theirs), or `undefined` when it is not supported. */
const go = (ast: SchemaAST.AST, memo: Memo): Step | undefined => {
  if (memo.has(ast)) return memo.get(ast)
  // Annotations that change how Effect parses a node (its own options, a fallback on failure) are not followed.
  const step = ast.annotations[SchemaAST.ParseOptionsAnnotationId] !== undefined ||
      ast.annotations[SchemaAST.DecodingFallbackAnnotationId] !== undefined
    ? undefined
    : make(ast, memo)
  memo.set(ast, step)
  return step
}

const make = (ast: SchemaAST.AST, memo: Memo): Step | undefined => {
  const keyword = keywords[ast._tag]
  if (keyword !== undefined) return keyword
  switch (ast._tag) {
    case "Literal": {
      const literal = ast.literal
      return (input) => input === literal ? input : fail
    }
    case "TupleType":
      return arrayOf(ast, memo)
    case "TypeLiteral":
      return typeLiteral(ast, memo)
    case "Union":
      return union(ast, memo)
    case "Refinement": {
      const from = go(ast.from, memo)
      if (from === undefined) return undefined
      return (input) => {
        const value = from(input)
        return value === fail || Option.isSome(ast.filter(value, options, ast)) ? fail : value
      }
    }
    case "Transformation":
      return transformation(ast, memo)
  }
  // Declarations, suspended schemas, template literals, symbols, enums...: left to Schema.
  return undefined
}

/** `Schema.Array`: a tuple with only a rest element (a fresh array, as Effect makes). */
const arrayOf = (ast: SchemaAST.TupleType, memo: Memo): Step | undefined => {
  if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
  const item = go(ast.rest[0]!.type, memo)
  if (item === undefined) return undefined
  return (input) => {
    if (!Array.isArray(input)) return fail
    // Sized up front, as Effect's output is: a pushed-to array keeps spare capacity, held by every decoded node.
    const out: Array<unknown> = new Array(input.length)
    for (let i = 0; i < input.length; i++) {
      const value = item(input[i])
      if (value === fail) return fail
      out[i] = value
    }
    return out
  }
}

interface Property {
  readonly name: string
  readonly optional: boolean
  readonly step: Step
}

const propertiesOf = (ast: SchemaAST.TypeLiteral, memo: Memo): Array<Property> | undefined => {
  const properties: Array<Property> = []
  for (const ps of ast.propertySignatures) {
    if (typeof ps.name !== "string" || ps.name === "__proto__") return undefined
    const step = go(ps.type, memo)
    if (step === undefined) return undefined
    properties.push({ name: ps.name, optional: ps.isOptional, step })
  }
  return properties
}

/**
 * A struct, a record, or a struct with one string index signature: a fresh object with the properties in the
 * schema's order, then the record's keys (`Object.keys`, as Effect reads them), excess properties dropped. Only
 * plain objects are decoded here; a missing required property, or a record key `__proto__` (which Effect's output
 * object takes as its prototype), is left to Schema.
 */
const typeLiteral = (ast: SchemaAST.TypeLiteral, memo: Memo): Step | undefined => {
  if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 0) return undefined
  if (ast.indexSignatures.length > 1) return undefined
  const properties = propertiesOf(ast, memo)
  if (properties === undefined) return undefined
  const signature = ast.indexSignatures[0]
  let index: Step | undefined
  if (signature !== undefined) {
    if (signature.parameter._tag !== "StringKeyword") return undefined
    index = go(signature.type, memo)
    if (index === undefined) return undefined
  }
  const named = new Set(properties.map((p) => p.name))
  return (input) => {
    if (!isPlainObject(input)) return fail
    const out: Record<string, unknown> = {}
    for (const { name, optional, step } of properties) {
      if (!Object.hasOwn(input, name)) {
        if (optional) continue
        return fail
      }
      const value = step(input[name])
      if (value === fail) return fail
      out[name] = value
    }
    if (index !== undefined) {
      for (const key of Object.keys(input)) {
        if (key === "__proto__") return fail
        const value = index(input[key])
        if (value === fail) return fail
        if (!named.has(key)) out[key] = value
      }
    }
    return out
  }
}

/** Values a node could accept: any value of a kind (`typeof`, with `null` and arrays apart), or one literal. */
interface Accepts {
  readonly kind: string
  readonly any: boolean
  readonly literal?: unknown
}

const kindOf = (input: unknown): string => input === null ? "null" : Array.isArray(input) ? "array" : typeof input

const keywordKinds: Partial<Record<SchemaAST.AST["_tag"], string>> = {
  StringKeyword: "string",
  NumberKeyword: "number",
  BooleanKeyword: "boolean",
  UndefinedKeyword: "undefined",
  TupleType: "array",
  TypeLiteral: "object"
}

/** An over-approximation of what a node accepts, or `undefined` when it is not known (or is anything). */
const domainOf = (ast: SchemaAST.AST): ReadonlyArray<Accepts> | undefined => {
  if (SchemaAST.isLiteral(ast)) return [{ kind: kindOf(ast.literal), any: false, literal: ast.literal }]
  const kind = keywordKinds[ast._tag]
  if (kind !== undefined) return [{ kind, any: true }]
  if (SchemaAST.isRefinement(ast) || SchemaAST.isTransformation(ast)) return domainOf(ast.from)
  const members = SchemaAST.isUnion(ast) ? ast.types.map(domainOf) : [undefined]
  return members.includes(undefined) ? undefined : (members as Array<ReadonlyArray<Accepts>>).flat()
}

const overlap = (a: Accepts, b: Accepts): boolean => a.kind === b.kind && (a.any || b.any || a.literal === b.literal)

/** Members that give back their input as is when they accept it; the first two accept anything. */
const identities = [
  "UnknownKeyword",
  "AnyKeyword",
  "Literal",
  "StringKeyword",
  "NumberKeyword",
  "BooleanKeyword",
  "UndefinedKeyword"
]

/**
 * A union whose members cannot accept the same input (told apart by the kind of value, or by literal): the one
 * member that accepts an input is the one Effect ends with, whatever order it tries them in, so the first member
 * that decodes it here gives Effect's value. Or a union with `unknown` whose members all give back their input
 * (`Schema.optional(Schema.Unknown)`), which gives back any input.
 */
const union = (ast: SchemaAST.Union, memo: Memo): Step | undefined => {
  const tags = ast.types.map((t) => identities.indexOf(t._tag))
  if (tags.every((tag) => tag >= 0) && tags.some((tag) => tag < 2)) return identity
  const members: Array<Step> = []
  const seen: Array<Accepts> = []
  for (const member of ast.types) {
    const step = go(member, memo)
    const domain = domainOf(member)
    if (step === undefined || domain === undefined) return undefined
    if (domain.some((a) => seen.some((b) => overlap(a, b)))) return undefined
    members.push(step)
    seen.push(...domain)
  }
  return (input) => {
    for (let i = 0; i < members.length; i++) {
      const value = members[i]!(input)
      if (value !== fail) return value
    }
    return fail
  }
}

/**
 * A transformation, as Effect runs it: `from` decoded, the transformation applied (a `Schema.transform`'s function),
 * and the result decoded with `to`. A transformation that answers with an effect (not an `Either`) is left to Schema.
 */
const transformation = (ast: SchemaAST.Transformation, memo: Memo): Step | undefined => {
  const kind = ast.transformation
  if (kind._tag === "TypeLiteralTransformation") return struct(ast, kind, memo)
  const from = go(ast.from, memo)
  const to = go(ast.to, memo)
  if (from === undefined || to === undefined) return undefined
  return (input) => {
    const value = from(input)
    if (value === fail) return fail
    if (kind._tag === "ComposeTransformation") return to(value)
    const result: unknown = kind.decode(value, options, ast, input)
    return Either.isEither(result) && Either.isRight(result) ? to(result.right) : fail
  }
}

/** Where a field of a struct's decoded side comes from: a field as written (`slot`), through a rename or default. */
interface Source extends Property {
  readonly slot: number
  readonly decode: ((o: Option.Option<unknown>) => Option.Option<unknown>) | undefined
}

/**
 * A struct with renames and defaults (`Schema.fromKey`, `Schema.optionalWith`), in one pass: Effect decodes the
 * fields as written into an object, moves each renamed or defaulted field (deleting its key, setting the new one),
 * and decodes that object again with the decoded side; here each decoded field is taken from where it was written,
 * which is the same when every field is renamed at most once and no rename lands on another written field.
 */
const struct = (
  ast: SchemaAST.Transformation,
  kind: SchemaAST.TypeLiteralTransformation,
  memo: Memo
): Step | undefined => {
  const { from, to } = ast
  if (!SchemaAST.isTypeLiteral(from) || !SchemaAST.isTypeLiteral(to)) return undefined
  if (from.indexSignatures.length > 0 || to.indexSignatures.length > 0) return undefined
  const written = propertiesOf(from, memo)
  const decoded = propertiesOf(to, memo)
  if (written === undefined || decoded === undefined) return undefined
  const writtenNames = written.map((p) => p.name)
  const decodedNames = decoded.map((p) => p.name)
  const renames = kind.propertySignatureTransformations
  const renamed = new Map<PropertyKey, SchemaAST.PropertySignatureTransformation>()
  for (const t of renames) {
    if (!writtenNames.includes(t.from as string) || !decodedNames.includes(t.to as string)) return undefined
    if (t.from !== t.to && writtenNames.includes(t.to as string)) return undefined
    if (renames.some((other) => other !== t && (other.from === t.from || other.to === t.to))) return undefined
    renamed.set(t.to, t)
  }
  const movedAway = new Set(renames.filter((t) => t.from !== t.to).map((t) => t.from))
  const sources: Array<Source> = decoded.map((p) => {
    const t = renamed.get(p.name)
    const name = t === undefined ? (movedAway.has(p.name) ? undefined : p.name) : t.from
    return { ...p, slot: name === undefined ? -1 : writtenNames.indexOf(name as string), decode: t?.decode }
  })
  return (input) => {
    if (!isPlainObject(input)) return fail
    const slots: Array<unknown> = new Array(written.length)
    for (let i = 0; i < written.length; i++) {
      const { name, optional, step } = written[i]!
      if (!Object.hasOwn(input, name)) {
        if (!optional) return fail
        slots[i] = absent
        continue
      }
      const value = step(input[name])
      if (value === fail) return fail
      slots[i] = value
    }
    const out: Record<string, unknown> = {}
    for (const { decode, name, optional, slot, step } of sources) {
      let value = slot < 0 ? absent : slots[slot]
      if (decode !== undefined) {
        const o = decode(value === absent ? Option.none() : Option.some(value))
        value = Option.isSome(o) ? o.value : absent
      }
      if (value === absent) {
        if (optional) continue
        return fail
      }
      const result = step(value)
      if (result === fail) return fail
      out[name] = result
    }
    return out
  }
}
