/**
 * Graph rules of a decoded workflow: ids are unique, every `next`, branch and `start_node` names a node, conditions
 * have branches, expressions and transform lines parse, compute nodes say what to run. Problems carry the path of
 * the offending YAML node (relative to the workflow) so the loader can name its line; warnings are things that load
 * but are probably not what the author meant.
 */
import * as Either from "effect/Either"
import * as Expression from "../Expression.ts"
import type { Node, WorkflowSpec } from "../WorkflowDefinition.ts"
import * as Assignments from "./assignments.ts"

/** A problem found in a workflow. */
export interface Issue {
  readonly nodeId?: string
  /** Path of the offending YAML node, relative to the workflow. */
  readonly path: ReadonlyArray<string | number>
  readonly description: string
  readonly hint?: string
}

/** What validation found. */
export interface Findings {
  readonly errors: ReadonlyArray<Issue>
  readonly warnings: ReadonlyArray<Issue>
}

/**
 * The node that follows one that succeeded, when it is not a condition: the first `next` target, else the next node
 * of the list (Victor's auto-chaining), else none (the run ends).
 */
export const successor = (nodes: ReadonlyArray<Node>, index: number): string | undefined => {
  const node = nodes[index]!
  return node.next[0] ?? nodes[index + 1]?.id
}

/** Edit distance counting a swap of two neighbours as one edit (`tset` is one edit from `test`). */
const distance = (a: string, b: string): number => {
  const d: Array<Array<number>> = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0))
  )
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

/** "did you mean 'x'?" when a known name is close, else the list of known names. */
export const suggest = (name: string, known: ReadonlyArray<string>): string => {
  const best = known
    .map((candidate) => ({ candidate, score: distance(name.toLowerCase(), candidate.toLowerCase()) }))
    .sort((a, b) => a.score - b.score)[0]
  if (best !== undefined && best.score <= Math.max(1, Math.floor(name.length / 3))) {
    return `did you mean '${best.candidate}'?`
  }
  return `known nodes: ${known.join(", ")}`
}

/** Validates the graph of a decoded workflow. */
export const validate = (spec: WorkflowSpec): Findings => {
  const errors: Array<Issue> = []
  const warnings: Array<Issue> = []
  const ids = spec.nodes.map((node) => node.id)
  const firstIndex = new Map<string, number>()

  const checkTarget = (node: Node, target: string, path: ReadonlyArray<string | number>, what: string) => {
    if (firstIndex.has(target)) return
    errors.push({
      nodeId: node.id,
      path,
      description: `node '${node.id}' ${what} '${target}', which is not a node in this workflow`,
      hint: suggest(target, ids)
    })
  }

  spec.nodes.forEach((node, index) => {
    if (firstIndex.has(node.id)) {
      errors.push({
        nodeId: node.id,
        path: ["nodes", index, "id"],
        description: `duplicate node id '${node.id}' (also node #${firstIndex.get(node.id)! + 1})`,
        hint: "give every node a unique id"
      })
    } else {
      firstIndex.set(node.id, index)
    }
  })

  if (spec.startNode !== undefined && !firstIndex.has(spec.startNode)) {
    errors.push({
      path: ["start_node"],
      description: `start_node '${spec.startNode}' is not a node in this workflow`,
      hint: suggest(spec.startNode, ids)
    })
  }

  spec.nodes.forEach((node, index) => {
    const at = ["nodes", index] as const
    node.next.forEach((target, j) => checkTarget(node, target, [...at, "next", j], "has next"))
    if (node.next.length > 1) {
      warnings.push({
        nodeId: node.id,
        path: [...at, "next"],
        description: `node '${node.id}' has ${node.next.length} 'next' targets; only the first ('${node.next[0]}') ` +
          "is followed (use a parallel node for fan-out)"
      })
    }
    switch (node.type) {
      case "compute": {
        if (node.handler === undefined && node.tools.length === 0) {
          errors.push({
            nodeId: node.id,
            path: at,
            description: `compute node '${node.id}' has neither 'tools' nor a 'handler'`,
            hint: "add 'tools: [shell]' with 'inputs', or 'handler: <registered handler>'"
          })
        } else if (node.handler !== undefined && node.tools.length > 0) {
          errors.push({
            nodeId: node.id,
            path: [...at, "handler"],
            description: `compute node '${node.id}' has both 'tools' and a 'handler'`,
            hint: "use one of them, or split the node in two"
          })
        }
        const seen = new Set<string>()
        node.tools.forEach((tool, j) => {
          if (seen.has(tool)) {
            errors.push({
              nodeId: node.id,
              path: [...at, "tools", j],
              description: `compute node '${node.id}' lists tool '${tool}' twice (its output is keyed by tool name)`,
              hint: "split the calls into two nodes"
            })
          }
          seen.add(tool)
        })
        break
      }
      case "condition": {
        const parsed = Expression.parse(node.condition)
        if (Either.isLeft(parsed)) {
          errors.push({ nodeId: node.id, path: [...at, "condition"], description: parsed.left.message })
        }
        const branches = Object.entries(node.branches)
        if (branches.length === 0) {
          errors.push({
            nodeId: node.id,
            path: at,
            description: `condition node '${node.id}' has no branches`,
            hint: "add 'branches:' mapping values to node ids, e.g. { true: next_step, default: fallback }"
          })
        }
        for (const [value, target] of branches) {
          checkTarget(node, target, [...at, "branches", value], `branch '${value}' goes to`)
        }
        if (node.next.length > 0) {
          warnings.push({
            nodeId: node.id,
            path: [...at, "next"],
            description: `condition node '${node.id}' has 'next', which is ignored: a condition follows its branches`
          })
        }
        break
      }
      case "transform": {
        const parsed = Assignments.parse(node.transform)
        if (Either.isLeft(parsed)) {
          errors.push({
            nodeId: node.id,
            path: [...at, "transform", parsed.left.item],
            description: parsed.left.description,
            hint: "write one 'key = expression' per line"
          })
        }
        break
      }
    }
  })

  if (errors.length === 0) {
    for (const id of unreachable(spec)) {
      warnings.push({
        nodeId: id,
        path: ["nodes", firstIndex.get(id)!],
        description: `node '${id}' is never reached from the start node`
      })
    }
  }
  return { errors, warnings }
}

const unreachable = (spec: WorkflowSpec): ReadonlyArray<string> => {
  const indexOf = new Map(spec.nodes.map((node, index) => [node.id, index]))
  const reached = new Set<string>()
  const pending = [spec.startNode ?? spec.nodes[0]!.id]
  while (pending.length > 0) {
    const id = pending.pop()!
    if (reached.has(id)) continue
    reached.add(id)
    const index = indexOf.get(id)!
    const node = spec.nodes[index]!
    if (node.type === "condition") pending.push(...Object.values(node.branches))
    else {
      const next = successor(spec.nodes, index)
      if (next !== undefined) pending.push(next)
    }
  }
  return spec.nodes.filter((node) => !reached.has(node.id)).map((node) => node.id)
}
