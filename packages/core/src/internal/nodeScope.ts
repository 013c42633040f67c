/**
 * `withNode`: an effect run as a node. It has two paths, and callers see one API:
 *
 * - the fast path, when the trace has no handlers and the fiber already has its cursor (its place in the traces):
 *   no uninterruptible region and one match on the effect's exit, nothing but the records themselves. This is what
 *   the workflow executor runs for every node of every run (inlined: see below), so its cost is the tracer's per-node
 *   cost (`pnpm bench`, `pnpm bench:workflow`).
 * - the guarded path otherwise: the node is closed by a failure handler made uninterruptible, so that the handlers'
 *   effects run even when the node is interrupted.
 *
 * The fast path still accounts for interruption. Effect runs no failure handler of an interruptible region once its
 * fiber is interrupted, so each fiber keeps the nodes it has open on this path on its cursor, innermost last; a node
 * an interruption abandoned stays on that list and is closed, `cancelled`, when an enclosing node closes or when the
 * fiber ends, whichever comes first.
 *
 * An engine that runs nodes in a generator loop of its own (the workflow executor) may run the fast path inline, split
 * in two around the work (`NodeLoop`, see `nodeLoop.ts`): that saves the effect steps a combinator costs per node
 * (entering it with the fiber, leaving it with the value: about 0.3 µs a node, 2-3% of a 1,000-node workflow).
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import { globalValue } from "effect/GlobalValue"
import type { EndNodeOptions, StartNodeOptions, WorkflowTracerService } from "../WorkflowTracer.ts"
import { currentCursor, type OpenNode } from "./activeTrace.ts"
import { lastEventHooks } from "./hooks.ts"
import {
  cancelAbove,
  closeNode,
  endNodeIn,
  leaveNode,
  leaveOpen,
  moveTo,
  noEnd,
  openNode,
  openScopesOf
} from "./recorder.ts"
import { describeCause, noActiveTrace, type TracerError } from "./tracerError.ts"
import { traceOf, type TracerState } from "./tracerState.ts"

// The guarded path (see the module's header).
const withNodeGuarded = <A, E, R>(
  state: TracerState,
  options: StartNodeOptions,
  effect: Effect.Effect<A, E, R>,
  toOutputs: ((value: A) => EndNodeOptions) | undefined
): Effect.Effect<A, E | TracerError, R> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.withFiberRuntime<A, E | TracerError, R>((fiber) => {
      const cursor = fiber.getFiberRef(currentCursor)
      const previous = cursor?.node
      const trace = traceOf(state, cursor?.trace, previous)
      if (trace === undefined) return Effect.fail(noActiveTrace)
      // Scopes the fiber opens inside the node on the fast paths (once it has a cursor) sit above this depth.
      const depth = cursor?.open?.length ?? 0
      const node = openNode(trace, previous !== undefined && previous.trace === trace ? previous : undefined, options)
      // The handlers see the node start before it becomes current, as they see a `startNode`.
      const enter = trace.handlers.length === 0
        ? moveTo(cursor, cursor?.trace, node)
        : restore(Effect.zipRight(
          lastEventHooks(trace),
          Effect.withFiberRuntime<void>((current) => {
            const held = current.getFiberRef(currentCursor)
            return moveTo(held, held?.trace, node)
          })
        ))
      const run = enter === Effect.void ? restore(effect) : Effect.zipRight(enter, restore(effect))
      return Effect.matchCauseEffect(run, {
        onFailure: (cause) => {
          // What an interruption abandoned inside the node is closed before it, innermost first.
          const held = fiber.getFiberRef(currentCursor)
          if (held?.open !== undefined && held.open.length > depth) cancelAbove(held.open, depth, held)
          leaveNode(fiber, previous)
          return Effect.zipRight(endNodeIn(node, { success: false, error: describeCause(cause) }), Effect.failCause(cause))
        },
        onSuccess: (value) => {
          leaveNode(fiber, previous)
          return Effect.as(endNodeIn(node, toOutputs === undefined ? noEnd : toOutputs(value)), value)
        }
      })
    })
  )

/** A node opened by `NodeLoop.open`: opaque to everyone but its tracer. */
export interface NodeHandle {
  readonly nodeId: string
}

/**
 * `withNode`'s fast path split in two, for an engine's own generator loop. Internal to Victor's packages.
 *
 * `open` opens a node in the fiber running the caller (call it from inside an effect, such as an `Effect.gen` body)
 * and makes it current, or returns `undefined` when `withNode` must be used instead (the trace has handlers, or the
 * fiber has no trace or a node of another trace). `close` closes it, in the same fiber, from the exit of its work.
 */
export interface NodeLoop {
  readonly open: (options: StartNodeOptions) => NodeHandle | undefined
  readonly close: <A, E>(node: NodeHandle, exit: Exit.Exit<A, E>, toOutputs?: (value: A) => EndNodeOptions) => void
}

// Each `withNode` made by `make`, with its loop: found by the identity of the service's `withNode`, so that a layer
// that wraps the tracer keeps the loop only as long as it keeps Victor's `withNode`.
const nodeLoops = globalValue(
  "@victor/core/WorkflowTracer/nodeLoops",
  () => new WeakMap<WorkflowTracerService["withNode"], NodeLoop>()
)

/** The node loop of a tracer whose `withNode` is Victor's own, else undefined (then use `withNode`). */
export const nodeLoopOf = (tracer: WorkflowTracerService): NodeLoop | undefined =>
  nodeLoops.get(tracer.withNode)

const makeNodeLoop = (state: TracerState): NodeLoop => ({
  open: (options) => {
    const current = Fiber.getCurrentFiber()
    if (current._tag === "None") return undefined
    const fiber = current.value
    const cursor = fiber.getFiberRef(currentCursor)
    if (cursor === undefined) return undefined
    const previous = cursor.node
    const trace = traceOf(state, cursor.trace, previous)
    if (trace === undefined || trace.handlers.length > 0 || (previous !== undefined && previous.trace !== trace)) {
      return undefined
    }
    const node = openNode(trace, previous, options)
    node.cursor = cursor
    cursor.node = node
    ;(cursor.open ?? openScopesOf(fiber, cursor)).push(node)
    return node
  },
  close: <A, E>(handle: NodeHandle, exit: Exit.Exit<A, E>, toOutputs?: (value: A) => EndNodeOptions) => {
    const node = handle as OpenNode
    // The fiber's cursor, as it was when the node opened: a fiber keeps the same one (see `joinCursor`).
    const cursor = node.cursor
    const open = cursor?.open
    if (open !== undefined) {
      const at = open.lastIndexOf(node)
      if (at >= 0) leaveOpen(open, at, cursor!)
    }
    if (cursor !== undefined) cursor.node = node.parent
    // Already closed: cancelled by an enclosing node, or by the end of its trace.
    if (!node.open) return
    closeNode(
      node,
      exit._tag === "Success"
        ? toOutputs === undefined ? noEnd : toOutputs(exit.value)
        : { success: false, error: describeCause(exit.cause) }
    )
  }
})

/** The tracer's `withNode` over its state, with its node loop. */
export const make = (state: TracerState): WorkflowTracerService["withNode"] => {
  const withNode = makeWithNode(state)
  nodeLoops.set(withNode, makeNodeLoop(state))
  return withNode
}

const makeWithNode = (state: TracerState): WorkflowTracerService["withNode"] =>
<A, E, R>(
  options: StartNodeOptions,
  effect: Effect.Effect<A, E, R>,
  toOutputs?: (value: A) => EndNodeOptions
) =>
  Effect.withFiberRuntime<A, E | TracerError, R>((fiber) => {
    const cursor = fiber.getFiberRef(currentCursor)
    const previous = cursor?.node
    const trace = traceOf(state, cursor?.trace, previous)
    if (trace === undefined) return Effect.fail(noActiveTrace)
    if (cursor === undefined || trace.handlers.length > 0) return withNodeGuarded(state, options, effect, toOutputs)
    // The fast path (see the module's header).
    const node = openNode(trace, previous !== undefined && previous.trace === trace ? previous : undefined, options)
    cursor.node = node
    const open = cursor.open ?? openScopesOf(fiber, cursor)
    const depth = open.length
    open.push(node)
    // The fiber keeps this cursor to the end of the node (see `joinCursor`), so the handlers move it back themselves.
    return Effect.matchCauseEffect(effect, {
      onFailure: (cause) => {
        leaveOpen(open, depth, cursor)
        cursor.node = previous
        closeNode(node, { success: false, error: describeCause(cause) })
        return Effect.failCause(cause)
      },
      onSuccess: (value) => {
        leaveOpen(open, depth, cursor)
        cursor.node = previous
        closeNode(node, toOutputs === undefined ? noEnd : toOutputs(value))
        return Effect.succeed(value)
      }
    })
  })
