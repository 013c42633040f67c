/**
 * Resolves `stage:` / `overrides:` includes in a workflow's raw node list (before decoding), remembering where each
 * field of a resolved node was written: on the node itself, under its `overrides:`, or in the template (located at
 * the node's `stage:` key), so that every later message about the field points at the right line.
 */
import * as Either from "effect/Either"
import type { StageTemplates } from "../StageTemplate.ts"
import { suggest } from "./graph.ts"
import { isPlainObject } from "./plainData.ts"

type Segment = string | number

/** Why a stage include could not be resolved; `path` is within the node (`["stage"]`, `["overrides", "id"]`). */
export interface StageProblem {
  readonly index: number
  readonly path: ReadonlyArray<Segment>
  readonly description: string
  readonly hint?: string
}

/** For each resolved node (by index), where its top-level fields were written, relative to the node. */
export type Origins = ReadonlyArray<ReadonlyMap<string, ReadonlyArray<Segment>> | undefined>

/** Victor's `_deep_merge_dicts`: objects merge key by key, anything else (lists included) replaces. */
export const deepMerge = (
  base: Readonly<Record<string, unknown>>,
  overrides: Readonly<Record<string, unknown>>
): Record<string, unknown> => {
  const result: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(overrides)) {
    const current = result[key]
    result[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value
  }
  return result
}

/** Keys `overrides:` may not set: they would change which node this is, or include another stage. */
const fixedKeys: Readonly<Record<string, string>> = {
  id: "set 'id:' on the node itself",
  stage: "a stage cannot include another stage; name the stage on the node",
  overrides: "overrides do not nest"
}

const label = (node: Record<string, unknown>, index: number): string =>
  typeof node.id === "string" ? `node '${node.id}'` : `node #${index + 1}`

/**
 * Replaces every node with a `stage:` by the template it names, with the node's fields and its `overrides:` applied.
 * Nodes without one are returned as they are (a node with `overrides:` but no `stage:` is an error).
 */
export const resolve = (
  nodes: ReadonlyArray<unknown>,
  templates: StageTemplates
): Either.Either<{ readonly nodes: ReadonlyArray<unknown>; readonly origins: Origins }, StageProblem> => {
  const resolved: Array<unknown> = []
  const origins: Array<ReadonlyMap<string, ReadonlyArray<Segment>> | undefined> = []
  for (const [index, node] of nodes.entries()) {
    if (!isPlainObject(node) || (!Object.hasOwn(node, "stage") && !Object.hasOwn(node, "overrides"))) {
      resolved.push(node)
      origins.push(undefined)
      continue
    }
    const what = label(node, index)
    const stage = node.stage
    if (stage === undefined) {
      return Either.left({
        index,
        path: ["overrides"],
        description: `${what} has 'overrides' but no 'stage' to override`,
        hint: "add 'stage: <name>', or write the fields on the node itself"
      })
    }
    if (typeof stage !== "string" || stage === "") {
      return Either.left({ index, path: ["stage"], description: `${what}: 'stage' must be the name of a stage template` })
    }
    const template = Object.hasOwn(templates, stage) ? templates[stage] : undefined
    if (template === undefined) {
      const known = Object.keys(templates).sort()
      const hint = suggest(stage, known)
      return Either.left({
        index,
        path: ["stage"],
        description: `${what} uses unknown stage '${stage}'`,
        hint: hint.startsWith("did you mean") ? hint : `known stages: ${known.join(", ") || "none"}`
      })
    }
    const overrides = node.overrides ?? {}
    if (!isPlainObject(overrides)) {
      return Either.left({
        index,
        path: ["overrides"],
        description: `${what}: 'overrides' of stage '${stage}' must be a mapping of node fields`
      })
    }
    for (const key of Object.keys(overrides)) {
      const hint = fixedKeys[key]
      if (hint !== undefined) {
        return Either.left({
          index,
          path: ["overrides", key],
          description: `${what}: 'overrides' of stage '${stage}' may not set '${key}'`,
          hint
        })
      }
    }
    const where = new Map<string, ReadonlyArray<Segment>>()
    let result: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(template)) {
      if (key === "id" || key === "description") continue
      result[key] = value
      where.set(key, ["stage"])
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "stage" || key === "overrides") continue
      result[key] = value
      where.set(key, [key])
    }
    result = deepMerge(result, overrides)
    for (const key of Object.keys(overrides)) where.set(key, ["overrides", key])
    resolved.push(result)
    origins.push(where)
  }
  return Either.right({ nodes: resolved, origins })
}

/**
 * Where a path into the resolved workflow (`["nodes", 3, "llm_config", "temperature"]`) was written in the file:
 * under `overrides:` for an overridden field, at `stage:` for one the template gave.
 */
export const writtenAt = (origins: Origins, path: ReadonlyArray<Segment>): ReadonlyArray<Segment> => {
  if (path[0] !== "nodes" || typeof path[1] !== "number" || path.length < 3) return path
  const origin = origins[path[1]]?.get(String(path[2]))
  if (origin === undefined) return path
  return origin[0] === "stage" ? ["nodes", path[1], "stage"] : ["nodes", path[1], ...origin, ...path.slice(3)]
}
