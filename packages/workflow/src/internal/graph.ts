/**
 * Graph rules of a decoded workflow: ids are unique, every `next`, branch, child and `start_node` names a node, nodes
 * do not contain themselves, loops have an exit, every node is reached; and each node's kind checks its own fields
 * (`NodeKind.check`: conditions have branches, expressions and transform lines parse, ...). Where the run may go
 * after a node is its kind's `successors` (a condition's branches) or else its first `next` or the next node of the
 * list. Problems carry the path of the offending YAML node (relative to the workflow) so the loader can name its
 * line; warnings are things that load but are probably not what the author meant.
 *
 * A node listed in a parallel node's `parallel_nodes` (a kind's `children`) is its child: it runs only as part of
 * that node, so auto-chaining skips it, `next`, branches and `start_node` may not point at it, and its own `next` is
 * ignored.
 */
import * as NodeKind from "../NodeKind.ts"
import type { Node, WorkflowSpec } from "../WorkflowDefinition.ts"
import { childrenOf, type Kinds } from "./kinds.ts"

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
 * The node that follows one that succeeded, unless its kind chooses (a condition): the first `next` target, else the
 * next node of the list that is not another node's child (Victor's auto-chaining), else none (the run ends).
 */
export const successor = (
  nodes: ReadonlyArray<Node>,
  index: number,
  children: ReadonlySet<string>
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

/** Validates the graph of a decoded workflow, asking each node's kind about its own fields and where it may go. */
export const validate = (spec: WorkflowSpec, kinds: Kinds): Findings => {
  const errors: Array<Issue> = []
  const warnings: Array<Issue> = []
  const ids = spec.nodes.map((node) => node.id)
  const firstIndex = new Map<string, number>()
  const children = childrenOf(spec.nodes, kinds)
  // The first node listing each child (a parallel node), for messages.
  const parentOf = new Map<string, Node>()
  for (const node of spec.nodes) {
    const contains = kinds.get(node.type)?.children
    if (contains === undefined) continue
    for (const child of contains.of(node)) if (!parentOf.has(child)) parentOf.set(child, node)
  }
  const containerOf = (id: string): string => {
    const parent = parentOf.get(id)!
    return `${parent.type} node '${parent.id}'`
  }

  const missing = (
    nodeId: string,
    target: string,
    at: NodeKind.Path,
    what: string
  ): NodeKind.Issue | undefined =>
    firstIndex.has(target) ? undefined : NodeKind.error(
      at,
      `node '${nodeId}' ${what} '${target}', which is not a node in this workflow`,
      suggest(target, ids)
    )

  const add = (node: Node, index: number, issue: NodeKind.Issue) =>
    (issue.severity === "error" ? errors : warnings).push({
      nodeId: node.id,
      path: ["nodes", index, ...(issue.at ?? [])],
      description: issue.description,
      ...(issue.hint === undefined ? {} : { hint: issue.hint })
    })

  // A jump the run really follows may not land on a child (children run only inside the node that lists them).
  const checkJump = (node: Node, index: number, target: string, at: NodeKind.Path, what: string) => {
    const absent = missing(node.id, target, at, what)
    if (absent !== undefined) return add(node, index, absent)
    if (children.has(node.id) || !children.has(target)) return
    const parent = parentOf.get(target)!
    add(
      node,
      index,
      NodeKind.error(
        at,
        `node '${node.id}' ${what} '${target}', which is a child of ${containerOf(target)} and runs only as part of it`,
        `go to '${parent.id}' instead, or take '${target}' out of its ${kinds.get(parent.type)!.children!.key}`
      )
    )
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
    errors.push({
      path: ["start_node"],
      description: `start_node '${spec.startNode}' is a child of ${
        containerOf(spec.startNode)
      } and runs only as part of it`,
      hint: `start at '${parentOf.get(spec.startNode)!.id}' instead`
    })
  }

  const graph: NodeKind.GraphContext = { parentOf: (id) => parentOf.get(id), missing }
  spec.nodes.forEach((node, index) => {
    const kind = kinds.get(node.type)
    node.next.forEach((target, j) => checkJump(node, index, target, ["next", j], "has next"))
    if (children.has(node.id)) {
      if (node.next.length > 0) {
        warnings.push({
          nodeId: node.id,
          path: ["nodes", index, "next"],
          description: `node '${node.id}' has 'next', which is ignored: it is a child of ${containerOf(node.id)}, ` +
            `which continues with its own next`
        })
      }
    } else if (node.next.length > 1) {
      warnings.push({
        nodeId: node.id,
        path: ["nodes", index, "next"],
        description: `node '${node.id}' has ${node.next.length} 'next' targets; only the first ('${node.next[0]}') ` +
          "is followed (use a parallel node for fan-out)"
      })
    }
    if (kind === undefined) return
    for (const issue of kind.check?.(node, graph) ?? []) add(node, index, issue)
    for (const { at, target, what } of kind.successors?.(node) ?? []) checkJump(node, index, target, at, what)
  })

  if (errors.length === 0) {
    const cycle = childCycle(spec.nodes, kinds)
    if (cycle !== undefined) {
      const index = firstIndex.get(cycle[0]!)!
      const node = spec.nodes[index]!
      const contains = kinds.get(node.type)!.children!
      errors.push({
        nodeId: cycle[0]!,
        path: ["nodes", index, contains.key, contains.of(node).indexOf(cycle[1]!)],
        description: `${node.type} node '${cycle[0]}' contains itself: ${cycle.map((id) => `'${id}'`).join(" -> ")}`,
        hint: `nested ${node.type} nodes must not list each other in a cycle`
      })
    }
  }
  if (errors.length === 0) {
    for (const loop of loopsWithoutExit(spec, kinds)) {
      const index = firstIndex.get(loop[0]!)!
      warnings.push({
        nodeId: loop[0]!,
        path: ["nodes", index],
        description: `loop ${[...loop, loop[0]!].map((id) => `'${id}'`).join(" -> ")} has no exit: no node in it ` +
          "reaches the end of the workflow and no condition branch leaves it, so a run that enters it stops only at " +
          "max_iterations"
      })
    }
    for (const id of unreachable(spec, kinds)) {
      warnings.push({
        nodeId: id,
        path: ["nodes", firstIndex.get(id)!],
        description: `node '${id}' is never reached from the start node`
      })
    }
  }
  return { errors, warnings }
}

/**
 * A cycle of nodes that run each other as children (parallel nodes listing each other, `a -> b -> a`), which would
 * run forever; undefined when none.
 */
export const childCycle = (nodes: ReadonlyArray<Node>, kinds: Kinds): ReadonlyArray<string> | undefined => {
  const byId = new Map(nodes.map((node) => [node.id, node]))
  const done = new Set<string>()
  const visit = (id: string, path: ReadonlyArray<string>): ReadonlyArray<string> | undefined => {
    const at = path.indexOf(id)
    if (at >= 0) return [...path.slice(at), id]
    if (done.has(id)) return undefined
    const node = byId.get(id)
    const contains = node === undefined ? undefined : kinds.get(node.type)?.children
    if (node !== undefined && contains !== undefined) {
      for (const child of contains.of(node)) {
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

/**
 * Where the run may go after a node that continues the run: where its kind says (a condition's branches), or else
 * undefined (its first `next`, else the next node of the list: `successor`).
 */
const chosen = (node: Node, kinds: Kinds): ReadonlyArray<string> | undefined =>
  kinds.get(node.type)?.successors?.(node).map(({ target }) => target)

/** Where the run may go after each node (children, which never continue the run, have no edges). */
const edges = (
  spec: WorkflowSpec,
  kinds: Kinds,
  children: ReadonlySet<string>
): ReadonlyMap<string, ReadonlyArray<string>> => {
  const out = new Map<string, ReadonlyArray<string>>()
  spec.nodes.forEach((node, index) => {
    if (out.has(node.id)) return
    const targets = children.has(node.id) ? [] : chosen(node, kinds)
    if (targets !== undefined) out.set(node.id, Array.from(new Set(targets)))
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
export const loopsWithoutExit = (spec: WorkflowSpec, kinds: Kinds): ReadonlyArray<ReadonlyArray<string>> => {
  const children = childrenOf(spec.nodes, kinds)
  const graph = edges(spec, kinds, children)
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

const unreachable = (spec: WorkflowSpec, kinds: Kinds): ReadonlyArray<string> => {
  const indexOf = new Map(spec.nodes.map((node, index) => [node.id, index]))
  const children = childrenOf(spec.nodes, kinds)
  const reached = new Set<string>()
  // A node reached as a child does not continue the run: only its own children (if any) are reached.
  const pending: Array<{ readonly id: string; readonly asChild: boolean }> = [
    { id: spec.startNode ?? (spec.nodes.find((node) => !children.has(node.id)) ?? spec.nodes[0]!).id, asChild: false }
  ]
  while (pending.length > 0) {
    const { asChild, id } = pending.pop()!
    if (reached.has(id)) continue
    reached.add(id)
    const index = indexOf.get(id)!
    const node = spec.nodes[index]!
    const contains = kinds.get(node.type)?.children
    if (contains !== undefined) pending.push(...contains.of(node).map((child) => ({ id: child, asChild: true })))
    if (asChild) continue
    const targets = chosen(node, kinds)
    if (targets !== undefined) {
      pending.push(...targets.map((target) => ({ id: target, asChild })))
    } else {
      const next = successor(spec.nodes, index, children)
      if (next !== undefined) pending.push({ id: next, asChild })
    }
  }
  return spec.nodes.filter((node) => !reached.has(node.id)).map((node) => node.id)
}
