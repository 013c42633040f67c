/**
 * What the loader does with a workflow's raw node records before and while decoding them: their types checked
 * against the installed node kinds, defaults and the kinds' rewrites applied, and the workflow decoded with the
 * kinds' schemas.
 */
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import type * as NodeKind from "../NodeKind.ts"
import * as WorkflowDefinition from "../WorkflowDefinition.ts"
import type { WorkflowLoadError } from "../WorkflowLoadError.ts"
import * as FastDecode from "./fastDecode.ts"
import * as Kinds from "./kinds.ts"
import { isPlainObject } from "./plainData.ts"
import type * as stages from "./stages.ts"

type Segment = string | number

/** Rejects node types no installed kind runs, and includes that are not supported yet, by name, before decoding. */
export const checkTypes = (
  raw: unknown,
  kinds: Kinds.Kinds,
  fail: (
    reason: "Invalid" | "Unsupported",
    at: ReadonlyArray<Segment>,
    description: string,
    hint: string,
    nodeId?: string
  ) => WorkflowLoadError
): Either.Either<void, WorkflowLoadError> => {
  if (typeof raw !== "object" || raw === null) return Either.void
  if (Object.hasOwn(raw, "$ref")) {
    return Either.left(
      fail("Unsupported", ["$ref"], "'$ref' workflow includes are not supported yet", "inline the workflow")
    )
  }
  const nodes = (raw as { nodes?: unknown }).nodes
  if (!Array.isArray(nodes)) return Either.void
  for (const [index, node] of nodes.entries()) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) continue
    const record = node as Record<string, unknown>
    const id = typeof record.id === "string" ? record.id : undefined
    const label = id === undefined ? `node #${index + 1}` : `node '${id}'`
    if (Object.hasOwn(record, "$ref")) {
      return Either.left(
        fail(
          "Unsupported",
          ["nodes", index, "$ref"],
          `${label}: '$ref' includes are not supported yet`,
          "inline the included nodes",
          id
        )
      )
    }
    const type = record.type ?? WorkflowDefinition.defaultNodeType
    if (typeof type !== "string" || kinds.has(type)) continue
    const at = ["nodes", index, record.type === undefined ? "id" : "type"]
    const supported = Array.from(kinds.keys())
    const unsupportedHint = `supported node types: ${supported.join(", ")}`
    if ((WorkflowDefinition.knownNodeTypes as ReadonlyArray<string>).includes(type)) {
      const implicit = record.type === undefined ? " (a node without 'type:' is an agent node)" : ""
      return Either.left(
        fail("Unsupported", at, `${label}: node type '${type}' is not supported yet${implicit}`, unsupportedHint, id)
      )
    }
    const known = [...new Set([...WorkflowDefinition.knownNodeTypes, ...supported])]
    const hint = `known types: ${known.join(", ")} (${unsupportedHint})`
    return Either.left(fail("Invalid", at, `${label} has unknown type '${type}'`, hint, id))
  }
  return Either.void
}

/** A node record a kind's rewrite rejected. */
export interface Rejected {
  readonly index: number
  readonly issue: NodeKind.Issue
  readonly nodeId?: string
}

/**
 * Applies the defaults and the kinds' rewrites to a workflow's raw node records, in place: a node without `type:` is
 * an agent node (saying so up front makes decoding errors about the agent fields), and each kind's `rewrite` turns
 * other spellings into its fields (a hitl node's `options:` into `choices`). Returns where each field was written,
 * including those a rewrite filled in.
 */
export const rewrite = (
  nodes: unknown,
  kinds: Kinds.Kinds,
  origins: stages.Origins
): Either.Either<stages.Origins, Rejected> => {
  if (!Array.isArray(nodes)) return Either.right(origins)
  nodes.forEach((node, index) => {
    if (typeof node === "object" && node !== null && !Array.isArray(node) && !Object.hasOwn(node, "type")) {
      nodes[index] = { type: WorkflowDefinition.defaultNodeType, ...node }
    }
  })
  // Copied once, at the first rewrite that fills a field in (copying it per node would be quadratic).
  let written: Array<ReadonlyMap<string, ReadonlyArray<Segment>> | undefined> | undefined
  for (const [index, node] of nodes.entries()) {
    if (!isPlainObject(node)) continue
    const rewrite = kinds.get(node.type as string)?.rewrite
    if (rewrite === undefined) continue
    const rewritten = rewrite(node)
    if (Either.isLeft(rewritten)) {
      return Either.left({
        index,
        issue: rewritten.left,
        ...(typeof node.id === "string" ? { nodeId: node.id } : {})
      })
    }
    if (rewritten.right.record === node) continue
    nodes[index] = rewritten.right.record
    const origin = new Map(origins[index] ?? [])
    for (const [filled, from] of Object.entries(rewritten.right.writtenAs ?? {})) {
      origin.set(filled, origins[index]?.get(from) ?? [from])
    }
    written ??= [...origins]
    written[index] = origin
  }
  return Either.right(written ?? origins)
}

/** Decodes a workflow's raw record. */
export type Decode = (raw: unknown) => Either.Either<WorkflowDefinition.WorkflowSpec, ParseResult.ParseError>

const decoders = new WeakMap<Kinds.Kinds, Decode>()

/**
 * Decodes a workflow whose nodes are of these kinds (made once per set of kinds). A valid workflow is decoded node by
 * node with its kind's schema, which is what the union of all kinds' schemas does for it (each kind's schema has
 * its own `type` literal), without trying the union's members; a workflow with a problem is decoded again as a
 * whole, with every error collected, so that the error reported is the one it always was: the first of them all.
 */
export const decoderOf = (kinds: Kinds.Kinds): Decode => {
  let decode = decoders.get(kinds)
  if (decode === undefined) {
    // The union's decoder, for what the node-by-node path cannot settle; built on first use (a valid workflow
    // never needs it, and building it costs a command's start-up).
    let union: Decode | undefined
    const whole: Decode = (raw) => {
      union ??= Schema.decodeUnknownEither(
        kinds === Kinds.builtin
          ? WorkflowDefinition.WorkflowSpec
          : WorkflowDefinition.makeWorkflowSpec(Schema.Union(...Array.from(kinds.values(), (kind) => kind.schema))),
        { errors: "all" }
      ) as Decode
      return union(raw)
    }
    const fast = byNode(kinds)
    decode = fast === undefined ? whole : (raw) => {
      const spec = fast(raw)
      return spec === undefined ? whole(raw) : Either.right(spec)
    }
    decoders.set(kinds, decode)
  }
  return decode
}

/** A kind's schema decodes exactly the records whose `type` is its own. */
const ownsItsType = (kind: NodeKind.Any): boolean => {
  const type = SchemaAST.getPropertySignatures(SchemaAST.encodedAST(kind.schema.ast)).find((p) => p.name === "type")
  return type !== undefined && SchemaAST.isLiteral(type.type) && type.type.literal === kind.type
}

/** Records a decoder takes with Schema before it compiles its fast path: for a handful, compiling costs more. */
const compileAfter = 16

/**
 * A schema's decoder that answers `undefined` for what it rejects: from the {@link compileAfter}th record on, its
 * compiled fast path (`fastDecode.ts`) when it has one, and Schema's for what that leaves (the records the fast path
 * is unsure of, or a schema it does not support); Schema's alone before.
 */
const decoder = <A, I>(schema: Schema.Schema<A, I>): (raw: unknown) => A | undefined => {
  const slow = Schema.decodeUnknownEither(schema)
  const viaSchema = (raw: unknown) => Either.getOrUndefined(slow(raw))
  let taken = 0
  let fast: ((raw: unknown) => { readonly value: A } | undefined) | undefined
  return (raw) => {
    if (taken < compileAfter && ++taken === compileAfter) fast = FastDecode.compile(schema)
    const decoded = fast === undefined ? undefined : fast(raw)
    return decoded === undefined ? viaSchema(raw) : decoded.value
  }
}

// The workflow's own fields (its nodes left as they are), made on first use.
const makeFieldsDecoder = () => decoder(WorkflowDefinition.makeWorkflowSpec(Schema.Unknown))
let workflowFields: ReturnType<typeof makeFieldsDecoder> | undefined

/**
 * Decodes the workflow's own fields, then each node with its kind's schema: the decoded workflow, or `undefined` at
 * the first problem. Itself `undefined` when some kind's schema does not own its type (then only the union will do).
 */
const byNode = (kinds: Kinds.Kinds): ((raw: unknown) => WorkflowDefinition.WorkflowSpec | undefined) | undefined => {
  if (!Array.from(kinds.values()).every(ownsItsType)) return undefined
  // Each kind's decoder is made when a record of its type first comes.
  const nodeDecoders = new Map<string, (raw: unknown) => unknown>()
  const decoderFor = (type: string) => {
    let decode = nodeDecoders.get(type)
    if (decode === undefined) {
      const kind = kinds.get(type)
      if (kind === undefined) return undefined
      decode = decoder(kind.schema)
      nodeDecoders.set(type, decode)
    }
    return decode
  }
  return (raw) => {
    const decodeFields = workflowFields ??= makeFieldsDecoder()
    const fields = decodeFields(raw)
    if (fields === undefined) return undefined
    const written = fields.nodes
    const nodes: Array<WorkflowDefinition.Node> = new Array(written.length)
    for (let i = 0; i < written.length; i++) {
      const record = written[i]
      const decode = isPlainObject(record) && typeof record.type === "string" ? decoderFor(record.type) : undefined
      if (decode === undefined) return undefined
      const node = decode(record)
      if (node === undefined) return undefined
      nodes[i] = node as WorkflowDefinition.Node
    }
    return { ...fields, nodes }
  }
}

/** What a decoding error's path names: a node (by id, or by number) and its field, or a workflow field. */
export const describePath = (
  raw: unknown,
  path: ReadonlyArray<PropertyKey>
): { readonly text: string; readonly nodeId?: string } => {
  if (path[0] === "nodes" && typeof path[1] === "number") {
    const node = (raw as { nodes: ReadonlyArray<unknown> }).nodes[path[1]]
    const id = typeof node === "object" && node !== null ? (node as { id?: unknown }).id : undefined
    const label = typeof id === "string" ? `node '${id}'` : `node #${path[1] + 1}`
    const rest = path.slice(2).map(String).join(".")
    return typeof id === "string"
      ? { text: rest === "" ? label : `${label}, field '${rest}'`, nodeId: id }
      : { text: rest === "" ? label : `${label}, field '${rest}'` }
  }
  return { text: path.length === 0 ? "workflow" : `field '${path.map(String).join(".")}'` }
}
