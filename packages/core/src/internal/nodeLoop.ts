/**
 * INTERNAL: not part of Victor's API; it may change or go in any release. The one internal module other Victor
 * packages may import (`package.json` exports it by name), for the workflow executor alone.
 *
 * `withNode`'s fast path split in two, around work an engine runs in a generator loop of its own: `open` before the
 * work, `close` with its exit after. A combinator costs two effect steps per node that this does not, and the
 * executor runs every node of every run. Use it only as the executor does:
 *
 * ```ts
 * const loop = NodeLoop.of(tracer)                    // once: undefined unless `tracer.withNode` is Victor's own
 * const node = loop?.open(options)                    // per node: undefined when only `withNode` can record it
 * const exit = node === undefined
 *   ? yield* Effect.exit(tracer.withNode(options, work, toOutputs))
 *   : yield* Effect.exit(work)
 * if (node !== undefined) loop!.close(node, exit, toOutputs)
 * ```
 *
 * It is found by the identity of the tracer's `withNode`, so a layer that wraps the tracer and replaces `withNode`
 * (to count nodes, say) is never bypassed; one that keeps it keeps the fast path. A node left open by an interruption
 * is closed as `cancelled`, as `withNode` closes its own.
 */
export { type NodeHandle, type NodeLoop, nodeLoopOf as of } from "./nodeScope.ts"
