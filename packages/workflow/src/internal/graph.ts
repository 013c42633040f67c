/**
 * Graph rules of a decoded workflow: ids are unique, every `next`, branch, parallel child and `start_node` names a
 * node, conditions have branches, parallel nodes do not contain themselves, expressions and transform lines parse,
 * compute nodes say what to run, loops have an exit. Problems carry the path of the offending YAML node (relative to the workflow) so
 * the loader can name its line; warnings are things that load but are probably not what the author meant.
 *
 * A node listed in a parallel node's `parallel_nodes` is its child: it runs only as part of that parallel node, so
 * auto-chaining skips it, `next`, branches and `start_node` may not point at it, and its own `next` is ignored.
 */
import * as Either from "effect/Either"
import * as Expression from "../Expression.ts"
import { namedTransform, type Node, parallelChildren, type WorkflowSpec } from "../WorkflowDefinition.ts"
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
 * of the list that is not a parallel node's child (Victor's auto-chaining), else none (the run ends).
 */
export const successor = (
  nodes: ReadonlyArray<Node>,
  index: number,
  children: ReadonlySet<string> = parallelChildren(nodes)
): string | undefined => {
  const node = nodes[index]!
  if (node.next[0] !== undefined) return node.next[0]
  for (let i = index + 1; i < nodes.length; i++) {
    if (!children.has(nodes[i]!.id)) return nodes[i]!.id
  }
  return undefined
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
  const children = parallelChildren(spec.nodes)
  // The first parallel node listing each child, for messages.
  const parentOf = new Map<string, string>()
  for (const node of spec.nodes) {
    if (node.type !== "parallel") continue
    for (const child of node.parallelNodes) if (!parentOf.has(child)) parentOf.set(child, node.id)
  }

  const checkTarget = (node: Node, target: string, path: ReadonlyArray<string | number>, what: string) => {
    if (firstIndex.has(target)) return
    errors.push({
      nodeId: node.id,
      path,
      description: `node '${node.id}' ${what} '${target}', which is not a node in this workflow`,
      hint: suggest(target, ids)
    })
  }

  // A jump the run really follows may not land on a parallel child (children run only inside their parallel node).
  const checkJump = (node: Node, target: string, path: ReadonlyArray<string | number>, what: string) => {
    if (!firstIndex.has(target)) return checkTarget(node, target, path, what)
    if (children.has(node.id) || !children.has(target)) return
    const parent = parentOf.get(target)!
    errors.push({
      nodeId: node.id,
      path,
      description: `node '${node.id}' ${what} '${target}', which is a child of parallel node '${parent}' and ` +
        "runs only as part of it",
      hint: `go to '${parent}' instead, or take '${target}' out of its parallel_nodes`
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
  } else if (spec.startNode !== undefined && children.has(spec.startNode)) {
    const parent = parentOf.get(spec.startNode)!
    errors.push({
      path: ["start_node"],
      description: `start_node '${spec.startNode}' is a child of parallel node '${parent}' and runs only as part of it`,
      hint: `start at '${parent}' instead`
    })
  }

  spec.nodes.forEach((node, index) => {
    const at = ["nodes", index] as const
    node.next.forEach((target, j) => checkJump(node, target, [...at, "next", j], "has next"))
    if (children.has(node.id)) {
      const parent = parentOf.get(node.id)!
      if (node.next.length > 0) {
        warnings.push({
          nodeId: node.id,
          path: [...at, "next"],
          description: `node '${node.id}' has 'next', which is ignored: it is a child of parallel node '${parent}', ` +
            `which continues with its own next`
        })
      }
      if (node.type === "condition") {
        warnings.push({
          nodeId: node.id,
          path: [...at, "branches"],
          description: `condition node '${node.id}' is a child of parallel node '${parent}': its value is recorded ` +
            "but its branches are not followed"
        })
      }
    } else if (node.next.length > 1) {
      warnings.push({
        nodeId: node.id,
        path: [...at, "next"],
        description: `node '${node.id}' has ${node.next.length} 'next' targets; only the first ('${node.next[0]}') ` +
          "is followed (use a parallel node for fan-out)"
      })
    }
    switch (node.type) {
      case "compute": {
        // Neither tools nor a handler: the node passes its resolved inputs through (Victor's semantics).
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
          checkJump(node, target, [...at, "branches", value], `branch '${value}' goes to`)
        }
        if (node.next.length > 0 && !children.has(node.id)) {
          warnings.push({
            nodeId: node.id,
            path: [...at, "next"],
            description: `condition node '${node.id}' has 'next', which is ignored: a condition follows its branches`
          })
        }
        break
      }
      case "parallel": {
        const listed = new Set<string>()
        node.parallelNodes.forEach((child, j) => {
          const path = [...at, "parallel_nodes", j]
          if (child === node.id) {
            errors.push({
              nodeId: node.id,
              path,
              description: `parallel node '${node.id}' lists itself in parallel_nodes`,
              hint: "list the ids of the nodes it runs concurrently"
            })
          } else if (listed.has(child)) {
            errors.push({
              nodeId: node.id,
              path,
              description: `parallel node '${node.id}' lists '${child}' twice in parallel_nodes`,
              hint: "list each child once"
            })
          } else {
            checkTarget(node, child, path, "has parallel_nodes entry")
          }
          listed.add(child)
        })
        break
      }
      case "team": {
        const memberIds = new Set<string>()
        node.members.forEach((member, j) => {
          if (memberIds.has(member.id)) {
            errors.push({
              nodeId: node.id,
              path: [...at, "members", j, "id"],
              description: `team node '${node.id}' has two members with id '${member.id}'`,
              hint: "give each member its own id"
            })
          }
          memberIds.add(member.id)
        })
        break
      }
      case "transform": {
        // One bare name calls a registered transform (checked by WorkflowValidation against the registry).
        if (namedTransform(node) !== undefined) break
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
      case "hitl": {
        if (node.hitlType === "choice") {
          if (node.choices.length === 0) {
            errors.push({
              nodeId: node.id,
              path: [...at, "hitl_type"],
              description: `hitl node '${node.id}' asks for a choice but has no 'choices'`,
              hint: "add 'choices: [a, b]', or use hitl_type: input"
            })
          } else if (
            node.defaultValue !== undefined && !(node.choices as ReadonlyArray<unknown>).includes(node.defaultValue)
          ) {
            errors.push({
              nodeId: node.id,
              path: [...at, "default_value"],
              description: `hitl node '${node.id}' has default_value ${
                JSON.stringify(node.defaultValue)
              }, which is not one of its choices`,
              hint: `choices: ${node.choices.join(", ")}`
            })
          }
        } else if (node.choices.length > 0 && node.hitlType === "confirmation") {
          // A confirmation ignores choices; an approval presents them (its answer is yes/no or one of them); `input` and `review` show them as suggestions (as Victor's files do).
          warnings.push({
            nodeId: node.id,
            path: [...at, "choices"],
            description: `hitl node '${node.id}' has 'choices', which are ignored: its hitl_type is ${node.hitlType}`
          })
        }
        break
      }
    }
  })

  if (errors.length === 0) {
    const cycle = parallelCycle(spec.nodes)
    if (cycle !== undefined) {
      const index = firstIndex.get(cycle[0]!)!
      const node = spec.nodes[index]!
      const entry = node.type === "parallel" ? node.parallelNodes.indexOf(cycle[1]!) : 0
      errors.push({
        nodeId: cycle[0]!,
        path: ["nodes", index, "parallel_nodes", entry],
        description: `parallel node '${cycle[0]}' contains itself: ${cycle.map((id) => `'${id}'`).join(" -> ")}`,
        hint: "nested parallel nodes must not list each other in a cycle"
      })
    }
  }
  if (errors.length === 0) {
    for (const loop of loopsWithoutExit(spec)) {
      const index = firstIndex.get(loop[0]!)!
      warnings.push({
        nodeId: loop[0]!,
        path: ["nodes", index],
        description: `loop ${[...loop, loop[0]!].map((id) => `'${id}'`).join(" -> ")} has no exit: no node in it ` +
          "reaches the end of the workflow and no condition branch leaves it, so a run that enters it stops only at " +
          "max_iterations"
      })
    }
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

/** A cycle of parallel nodes listing each other (`a -> b -> a`), which would run forever; undefined when none. */
export const parallelCycle = (nodes: ReadonlyArray<Node>): ReadonlyArray<string> | undefined => {
  const byId = new Map(nodes.map((node) => [node.id, node]))
  const done = new Set<string>()
  const visit = (id: string, path: ReadonlyArray<string>): ReadonlyArray<string> | undefined => {
    const at = path.indexOf(id)
    if (at >= 0) return [...path.slice(at), id]
    if (done.has(id)) return undefined
    const node = byId.get(id)
    if (node?.type === "parallel") {
      for (const child of node.parallelNodes) {
        const found = visit(child, [...path, id])
        if (found !== undefined) return found
      }
    }
    done.add(id)
    return undefined
  }
  for (const node of nodes) {
    const found = visit(node.id, [])
    if (found !== undefined) return found
  }
  return undefined
}

/** Where the run may go after each node (parallel children, which never continue the run, have no edges). */
const edges = (spec: WorkflowSpec): ReadonlyMap<string, ReadonlyArray<string>> => {
  const children = parallelChildren(spec.nodes)
  const out = new Map<string, ReadonlyArray<string>>()
  spec.nodes.forEach((node, index) => {
    if (out.has(node.id)) return
    if (children.has(node.id)) out.set(node.id, [])
    else if (node.type === "condition") out.set(node.id, Array.from(new Set(Object.values(node.branches))))
    else {
      const next = successor(spec.nodes, index, children)
      out.set(node.id, next === undefined ? [] : [next])
    }
  })
  return out
}

/**
 * Loops a run can enter and never leave except at `max_iterations`: strongly connected groups of nodes reachable
 * from the start, from which no path reaches a node that ends the run (one with nowhere to go). Each is listed in
 * file order.
 */
export const loopsWithoutExit = (spec: WorkflowSpec): ReadonlyArray<ReadonlyArray<string>> => {
  const graph = edges(spec)
  const children = parallelChildren(spec.nodes)
  const order = new Map(spec.nodes.map((node, index) => [node.id, index]))
  // Which nodes can reach an end: walk backwards from the ends.
  const reverse = new Map<string, Array<string>>()
  for (const [from, targets] of graph) for (const to of targets) reverse.set(to, [...(reverse.get(to) ?? []), from])
  const ending = new Set<string>()
  const pending = Array.from(graph).filter(([id, targets]) => targets.length === 0 && !children.has(id)).map(([id]) =>
    id
  )
  while (pending.length > 0) {
    const id = pending.pop()!
    if (ending.has(id)) continue
    ending.add(id)
    pending.push(...(reverse.get(id) ?? []))
  }
  const start = spec.startNode ?? (spec.nodes.find((node) => !children.has(node.id)) ?? spec.nodes[0]!).id
  const reached = new Set<string>()
  const walk = [start]
  while (walk.length > 0) {
    const id = walk.pop()!
    if (reached.has(id) || !graph.has(id)) continue
    reached.add(id)
    walk.push(...graph.get(id)!)
  }
  // Tarjan's strongly connected components over the trapped nodes.
  const trapped = Array.from(reached).filter((id) => !ending.has(id))
  const inTrap = new Set(trapped)
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: Array<string> = []
  const onStack = new Set<string>()
  const loops: Array<ReadonlyArray<string>> = []
  let counter = 0
  const connect = (id: string): void => {
    index.set(id, counter)
    low.set(id, counter)
    counter++
    stack.push(id)
    onStack.add(id)
    for (const to of graph.get(id) ?? []) {
      if (!inTrap.has(to)) continue
      if (!index.has(to)) {
        connect(to)
        low.set(id, Math.min(low.get(id)!, low.get(to)!))
      } else if (onStack.has(to)) {
        low.set(id, Math.min(low.get(id)!, index.get(to)!))
      }
    }
    if (low.get(id) !== index.get(id)) return
    const group: Array<string> = []
    for (;;) {
      const member = stack.pop()!
      onStack.delete(member)
      group.push(member)
      if (member === id) break
    }
    const cyclic = group.length > 1 || (graph.get(id) ?? []).includes(id)
    if (cyclic) loops.push(group.sort((a, b) => order.get(a)! - order.get(b)!))
  }
  for (const id of trapped) if (!index.has(id)) connect(id)
  return loops.sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!)
}

const unreachable = (spec: WorkflowSpec): ReadonlyArray<string> => {
  const indexOf = new Map(spec.nodes.map((node, index) => [node.id, index]))
  const children = parallelChildren(spec.nodes)
  const reached = new Set<string>()
  // A node reached as a parallel child does not continue the run: only its own children (if any) are reached.
  const pending: Array<{ readonly id: string; readonly asChild: boolean }> = [
    { id: spec.startNode ?? (spec.nodes.find((node) => !children.has(node.id)) ?? spec.nodes[0]!).id, asChild: false }
  ]
  while (pending.length > 0) {
    const { asChild, id } = pending.pop()!
    if (reached.has(id)) continue
    reached.add(id)
    const index = indexOf.get(id)!
    const node = spec.nodes[index]!
    if (node.type === "parallel") {
      pending.push(...node.parallelNodes.map((child) => ({ id: child, asChild: true })))
    }
    if (asChild) continue
    if (node.type === "condition") {
      pending.push(...Object.values(node.branches).map((target) => ({ id: target, asChild })))
    } else {
      const next = successor(spec.nodes, index, children)
      if (next !== undefined) pending.push({ id: next, asChild })
    }
  }
  return spec.nodes.filter((node) => !reached.has(node.id)).map((node) => node.id)
}
