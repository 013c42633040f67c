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
import type { Kinds } from "./kinds.ts"

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

/**
 * Validates the graph of a decoded workflow, asking each node's kind about its own fields and where it may go. It
 * stops at the first node with an error (the loader reports the first error): a workflow with thousands of broken
 * references costs no more than one with a single one. Linear in the number of nodes and edges.
 */
export const validate = (spec: WorkflowSpec, kinds: Kinds): Findings => {
  const errors: Array<Issue> = []
  const warnings: Array<Issue> = []
  const nodes = spec.nodes
  const firstIndex = new Map<string, number>()
  let ids: ReadonlyArray<string> | undefined
  const known = () => (ids ??= nodes.map((node) => node.id))
  const kindOf = nodes.map((node) => kinds.get(node.type))
  const contained = nodes.map((node, i) => kindOf[i]?.children?.of(node))
  const children = new Set<string>()
  // The first node listing each child (a parallel node), for messages.
  const parentOf = new Map<string, Node>()
  contained.forEach((list, i) => {
    if (list === undefined) return
    for (const child of list) {
      children.add(child)
      if (!parentOf.has(child)) parentOf.set(child, nodes[i]!)
    }
  })
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
      suggest(target, known())
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

  nodes.forEach((node, index) => {
    const first = firstIndex.get(node.id)
    if (first !== undefined) {
      errors.push({
        nodeId: node.id,
        path: ["nodes", index, "id"],
        description: `duplicate node id '${node.id}' (also node #${first + 1})`,
        hint: "give every node a unique id"
      })
    } else {
      firstIndex.set(node.id, index)
    }
  })
  if (errors.length > 0) return { errors, warnings }

  if (spec.startNode !== undefined && !firstIndex.has(spec.startNode)) {
    errors.push({
      path: ["start_node"],
      description: `start_node '${spec.startNode}' is not a node in this workflow`,
      hint: suggest(spec.startNode, known())
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
  if (errors.length > 0) return { errors, warnings }

  const graph: NodeKind.GraphContext = { parentOf: (id) => parentOf.get(id), missing }
  // Where each node's kind sends the run (a condition's branches), asked once and kept for the walks below.
  const chosen: Array<ReadonlyArray<string> | undefined> = new Array(nodes.length)
  for (let index = 0; index < nodes.length; index++) {
    const node = nodes[index]!
    const kind = kindOf[index]
    const isChild = children.has(node.id)
    for (let j = 0; j < node.next.length; j++) {
      const target = node.next[j]!
      // The common case, a jump to a node that is not a child, without building the path of a message.
      if (firstIndex.has(target) && (isChild || !children.has(target))) continue
      checkJump(node, index, target, ["next", j], "has next")
    }
    if (isChild) {
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
    if (kind !== undefined) {
      for (const issue of kind.check?.(node, graph) ?? []) add(node, index, issue)
      const successors = kind.successors?.(node)
      if (successors !== undefined) {
        const targets: Array<string> = []
        for (const { at, target, what } of successors) {
          checkJump(node, index, target, at, what)
          targets.push(target)
        }
        chosen[index] = targets
      }
    }
    if (errors.length > 0) return { errors, warnings }
  }

  const cycle = cycleOf(nodes, contained, firstIndex)
  if (cycle !== undefined) {
    const index = firstIndex.get(cycle[0]!)!
    const node = nodes[index]!
    const contains = kindOf[index]!.children!
    errors.push({
      nodeId: cycle[0]!,
      path: ["nodes", index, contains.key, contained[index]!.indexOf(cycle[1]!)],
      description: `${node.type} node '${cycle[0]}' contains itself: ${cycle.map((id) => `'${id}'`).join(" -> ")}`,
      hint: `nested ${node.type} nodes must not list each other in a cycle`
    })
    return { errors, warnings }
  }
  const runGraph = makeRunGraph(spec, children, contained, chosen, firstIndex)
  for (const loop of trappedLoops(runGraph)) {
    warnings.push({
      nodeId: nodes[loop[0]!]!.id,
      path: ["nodes", loop[0]!],
      description: `loop ${[...loop, loop[0]!].map((i) => `'${nodes[i]!.id}'`).join(" -> ")} has no exit: no node in ` +
        "it reaches the end of the workflow and no condition branch leaves it, so a run that enters it stops only " +
        "at max_iterations"
    })
  }
  for (const index of unreachable(runGraph)) {
    warnings.push({
      nodeId: nodes[index]!.id,
      path: ["nodes", index],
      description: `node '${nodes[index]!.id}' is never reached from the start node`
    })
  }
  return { errors, warnings }
}

/**
 * The first cycle of nodes that contain one another (`a -> b -> a`), walking depth first from each node in file
 * order; `contained[i]` lists the ids node `i` contains, `indexOf` finds a node by id. Iterative: nesting may be as
 * deep as the workflow is long.
 */
const cycleOf = (
  nodes: ReadonlyArray<Node>,
  contained: ReadonlyArray<ReadonlyArray<string> | undefined>,
  indexOf: ReadonlyMap<string, number>
): ReadonlyArray<string> | undefined => {
  const done = new Set<string>()
  // The path being walked: ids, and for each how many of its children were visited.
  const path: Array<string> = []
  const visited: Array<number> = []
  const onPath = new Map<string, number>()
  const listOf = (id: string) => {
    const index = indexOf.get(id)
    return index === undefined ? undefined : contained[index]
  }
  for (const node of nodes) {
    if (done.has(node.id) || contained[indexOf.get(node.id)!] === undefined) continue
    path.push(node.id)
    visited.push(0)
    onPath.set(node.id, 0)
    while (path.length > 0) {
      const top = path.length - 1
      const id = path[top]!
      const list = listOf(id)
      const next = list?.[visited[top]!]
      if (next === undefined) {
        path.pop()
        visited.pop()
        onPath.delete(id)
        done.add(id)
        continue
      }
      visited[top]!++
      const at = onPath.get(next)
      if (at !== undefined) return [...path.slice(at), next]
      if (done.has(next)) continue
      if (listOf(next) === undefined) {
        done.add(next)
        continue
      }
      onPath.set(next, path.length)
      path.push(next)
      visited.push(0)
    }
  }
  return undefined
}

/**
 * A cycle of nodes that run each other as children (parallel nodes listing each other, `a -> b -> a`), which would
 * run forever; undefined when none.
 */
export const childCycle = (nodes: ReadonlyArray<Node>, kinds: Kinds): ReadonlyArray<string> | undefined => {
  // The last node of an id wins, as a Map built from the list does.
  const indexOf = new Map<string, number>()
  nodes.forEach((node, index) => indexOf.set(node.id, index))
  return cycleOf(nodes, nodes.map((node) => kinds.get(node.type)?.children?.of(node)), indexOf)
}

/** Where the run may go after each node, by index: CSR arrays (`targets[from[i]..from[i + 1]]`), and the start. */
interface RunGraph {
  readonly size: number
  readonly from: Int32Array
  readonly targets: Int32Array
  /** The nodes each node contains (children), by index. */
  readonly contained: ReadonlyArray<ReadonlyArray<number> | undefined>
  readonly isChild: Uint8Array
  readonly start: number
}

/**
 * The run's edges: where its kind says (a condition's branches, without repeats), or else its first `next`, else
 * the next node of the list that is not a child (`successor`). Children, which never continue the run, have none.
 * Made for a workflow without errors: every target is a node, and ids are unique.
 */
const makeRunGraph = (
  spec: WorkflowSpec,
  children: ReadonlySet<string>,
  contained: ReadonlyArray<ReadonlyArray<string> | undefined>,
  chosen: ReadonlyArray<ReadonlyArray<string> | undefined>,
  indexOf: ReadonlyMap<string, number>
): RunGraph => {
  const nodes = spec.nodes
  const size = nodes.length
  const from = new Int32Array(size + 1)
  const targets: Array<number> = []
  const isChild = new Uint8Array(size)
  for (let i = 0; i < size; i++) {
    from[i] = targets.length
    const node = nodes[i]!
    if (children.has(node.id)) {
      isChild[i] = 1
      continue
    }
    const own = chosen[i]
    if (own !== undefined) {
      for (const target of own) {
        const to = indexOf.get(target)
        if (to !== undefined && !targets.includes(to, from[i])) targets.push(to)
      }
    } else {
      const next = successor(nodes, i, children)
      const to = next === undefined ? undefined : indexOf.get(next)
      if (to !== undefined) targets.push(to)
    }
  }
  from[size] = targets.length
  const startId = spec.startNode ?? (nodes.find((node) => !children.has(node.id)) ?? nodes[0]!).id
  return {
    size,
    from,
    targets: Int32Array.from(targets),
    contained: contained.map((list) =>
      list?.flatMap((id) => {
        const index = indexOf.get(id)
        return index === undefined ? [] : [index]
      })
    ),
    isChild,
    start: indexOf.get(startId) ?? 0
  }
}

/**
 * Loops a run can enter and never leave except at `max_iterations`: strongly connected groups of nodes reachable
 * from the start, from which no path reaches a node that ends the run (one with nowhere to go), as node indices.
 * Each is listed in file order, and the loops by their first node.
 */
const trappedLoops = (graph: RunGraph): ReadonlyArray<ReadonlyArray<number>> => {
  const { from, isChild, size, targets } = graph
  // Which nodes can reach an end: walk the edges backwards from the ends.
  const reverseFrom = new Int32Array(size + 1)
  for (let k = 0; k < targets.length; k++) reverseFrom[targets[k]! + 1]!++
  for (let i = 0; i < size; i++) reverseFrom[i + 1]! += reverseFrom[i]!
  const reverse = new Int32Array(targets.length)
  const fill = reverseFrom.slice(0, size)
  for (let i = 0; i < size; i++) {
    for (let k = from[i]!; k < from[i + 1]!; k++) reverse[fill[targets[k]!]!++] = i
  }
  const ending = new Uint8Array(size)
  const pending: Array<number> = []
  for (let i = 0; i < size; i++) if (from[i] === from[i + 1] && isChild[i] === 0) pending.push(i)
  while (pending.length > 0) {
    const i = pending.pop()!
    if (ending[i] === 1) continue
    ending[i] = 1
    for (let k = reverseFrom[i]!; k < reverseFrom[i + 1]!; k++) pending.push(reverse[k]!)
  }
  // The nodes the run can reach that cannot reach an end.
  const trapped = new Uint8Array(size)
  const reached = new Uint8Array(size)
  let any = false
  const walk = [graph.start]
  while (walk.length > 0) {
    const i = walk.pop()!
    if (reached[i] === 1) continue
    reached[i] = 1
    if (ending[i] === 0) {
      trapped[i] = 1
      any = true
    }
    for (let k = from[i]!; k < from[i + 1]!; k++) walk.push(targets[k]!)
  }
  if (!any) return []
  // Tarjan's strongly connected components over the trapped nodes, without recursion.
  const index = new Int32Array(size).fill(-1)
  const low = new Int32Array(size)
  const onStack = new Uint8Array(size)
  const stack: Array<number> = []
  const loops: Array<ReadonlyArray<number>> = []
  let counter = 0
  const frames: Array<number> = [] // node, then the next edge to look at
  for (let root = 0; root < size; root++) {
    if (trapped[root] === 0 || index[root] !== -1) continue
    frames.push(root, from[root]!)
    index[root] = low[root] = counter++
    stack.push(root)
    onStack[root] = 1
    while (frames.length > 0) {
      const top = frames.length - 2
      const i = frames[top]!
      const k = frames[top + 1]!
      if (k < from[i + 1]!) {
        frames[top + 1] = k + 1
        const to = targets[k]!
        if (trapped[to] === 0) continue
        if (index[to] === -1) {
          index[to] = low[to] = counter++
          stack.push(to)
          onStack[to] = 1
          frames.push(to, from[to]!)
        } else if (onStack[to] === 1) {
          low[i] = Math.min(low[i]!, index[to]!)
        }
        continue
      }
      frames.length = top
      if (top > 0) {
        const parent = frames[top - 2]!
        low[parent] = Math.min(low[parent]!, low[i]!)
      }
      if (low[i] !== index[i]) continue
      const group: Array<number> = []
      for (;;) {
        const member = stack.pop()!
        onStack[member] = 0
        group.push(member)
        if (member === i) break
      }
      let selfLoop = false
      for (let e = from[i]!; e < from[i + 1]!; e++) if (targets[e] === i) selfLoop = true
      if (group.length > 1 || selfLoop) loops.push(group.sort((a, b) => a - b))
    }
  }
  return loops.sort((a, b) => a[0]! - b[0]!)
}

/** The nodes never reached from the start, in file order; a node reached as a child reaches only its own children. */
const unreachable = (graph: RunGraph): ReadonlyArray<number> => {
  const { contained, from, size, targets } = graph
  const reached = new Uint8Array(size)
  // A stack of node indices, each followed by 1 when it was reached as a child.
  const pending: Array<number> = [graph.start, 0]
  while (pending.length > 0) {
    const asChild = pending.pop()!
    const i = pending.pop()!
    if (reached[i] === 1) continue
    reached[i] = 1
    const own = contained[i]
    if (own !== undefined) for (const child of own) pending.push(child, 1)
    if (asChild === 1) continue
    for (let k = from[i]!; k < from[i + 1]!; k++) pending.push(targets[k]!, 0)
  }
  const result: Array<number> = []
  for (let i = 0; i < size; i++) if (reached[i] === 0) result.push(i)
  return result
}
