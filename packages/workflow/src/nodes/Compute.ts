/**
 * The `compute` node kind: runs tools without a model, or a registered handler (`FunctionRegistry`).
 *
 * `inputs` (and `input_mapping`, which reads state keys) are resolved with `Template.resolve`, except a tool's code
 * inputs (`Tool.codeInputs`: the shell's `command`), rendered with every value quoted. With one tool it gets the
 * inputs; with several, keys named after a tool hold that tool's own inputs (merged over the shared keys), otherwise
 * every tool gets the same inputs. The output is an object keyed by tool name. A failing tool fails the node under
 * `fail_fast` (the default); otherwise its entry is `{ error }` and the node goes on. A handler gets the resolved
 * inputs, the state and the node's tools (each call traced as a tool call of the node); without tools or a handler
 * the node passes its resolved inputs through (as Victor does).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { JsonObject } from "@victor/core/Json"
import * as WorkflowTracer from "@victor/core/WorkflowTracer"
import type * as FunctionRegistry from "../FunctionRegistry.ts"
import { isPlainObject, lookup } from "../internal/plainData.ts"
import * as NodeFields from "../NodeFields.ts"
import * as NodeKind from "../NodeKind.ts"
import * as Template from "../Template.ts"
import * as ToolRegistry from "../ToolRegistry.ts"

/**
 * A `compute` node: runs a registered handler (which may call the node's `tools`), or the tools in order, without a
 * model.
 */
export const ComputeNode = Schema.Struct({
  type: Schema.Literal("compute"),
  ...NodeFields.common,
  handler: Schema.optional(Schema.String),
  tools: Schema.optionalWith(NodeFields.StringList, { default: () => [] }),
  inputs: Schema.optionalWith(JsonObject, { default: () => ({}) }),
  failFast: Schema.optionalWith(Schema.Boolean, { default: () => true }).pipe(Schema.fromKey("fail_fast"))
}).annotations({ identifier: "ComputeNode" })

/** A `compute` node. */
export interface ComputeNode extends Schema.Schema.Type<typeof ComputeNode> {}

/**
 * Reads `input_mapping` (`param: state_key` or `param: $ctx.key`) and resolves `inputs` over it. An input that the
 * tool declares as code (`Tool.codeInputs`) is rendered by the tool's own template, which quotes every value, and a
 * mapped state value given to such an input is quoted whole: a value from state never becomes code.
 */
const resolveInputs = (
  node: ComputeNode,
  inputs: JsonObject,
  state: JsonObject,
  code: Readonly<Record<string, ToolRegistry.CodeTemplate>> = {}
): Either.Either<JsonObject, string> => {
  const resolved: Record<string, unknown> = {}
  for (const [param, key] of Object.entries(node.inputMapping)) {
    const path = key.replace(/^\$ctx\./, "")
    const value = lookup(state, path)
    if (Option.isNone(value)) {
      return Either.left(`input_mapping '${param}' reads '${path}', which is not in the workflow state`)
    }
    const render = Object.hasOwn(code, param) ? code[param] : undefined
    if (render === undefined) {
      resolved[param] = value.value
      continue
    }
    const quoted = render.render(`{{ $ctx.${path} }}`, state)
    if (Either.isLeft(quoted)) return Either.left(`input_mapping '${param}': ${quoted.left.message}`)
    resolved[param] = quoted.right
  }
  for (const [param, template] of Object.entries(inputs)) {
    const render = Object.hasOwn(code, param) ? code[param] : undefined
    const value = render !== undefined && typeof template === "string"
      ? Either.mapLeft(render.render(template, state), (error) => `${param}: ${error.message}`)
      : Either.mapLeft(Template.resolve(template, state), (error) => error.message)
    if (Either.isLeft(value)) return Either.left(value.left)
    resolved[param] = value.right
  }
  return Either.right(resolved)
}

/** A handler's node: it may call the node's own tools, each traced as a tool call of the node. */
const prepareHandler = (
  node: ComputeNode,
  name: string,
  visit: NodeKind.Visit
): NodeKind.Prepared => {
  const { next, state } = visit
  const { functions, tools: registry, tracer } = visit.run
  const resolved = resolveInputs(node, node.inputs, state)
  if (Either.isLeft(resolved)) return NodeKind.failed(node.inputs, resolved.left)
  const inputs = resolved.right
  const handler = functions.handlers.get(name)
  if (handler === undefined) {
    return NodeKind.failed({ handler: name, inputs }, `handler '${name}' is not registered`)
  }
  const allowed = new Set(node.tools)
  const tools: FunctionRegistry.HandlerTools = {
    names: node.tools,
    call: (tool, toolInputs) =>
      allowed.has(tool)
        ? Effect.flatMap(registry.get(tool), (found) =>
          tracer.withToolCall(tool, toolInputs, found.run(toolInputs), ToolRegistry.describeToolError).pipe(
            Effect.catchTag("TracerError", (error) =>
              Effect.fail(new ToolRegistry.ToolError({ reason: "Failed", tool, description: error.message })))
          ))
        : Effect.fail(
          new ToolRegistry.ToolError({
            reason: "UnknownTool",
            tool,
            description: `handler '${name}' called tool '${tool}', which node '${node.id}' does not list in ` +
              `'tools' (listed: ${ToolRegistry.listNames(allowed)})`
          })
        )
  }
  const key = NodeKind.outputKey(node)
  return {
    inputs: { handler: name, inputs, ...(node.tools.length === 0 ? {} : { tools: node.tools }) },
    body: Effect.suspend(() => handler(inputs, { ...state }, tools)).pipe(
      Effect.mapError((error) => new NodeKind.NodeFailure({ message: `handler '${name}': ${error.message}` })),
      Effect.catchAllDefect((defect) =>
        Effect.fail(
          new NodeKind.NodeFailure({
            message: `handler '${name}' crashed: ${WorkflowTracer.describeCause(Cause.die(defect))}`
          })
        )
      ),
      Effect.map((value): NodeKind.Outcome => ({
        outputs: isPlainObject(value) ? value : { result: value },
        updates: { [key]: value },
        next
      }))
    )
  }
}

const prepare = (node: ComputeNode, visit: NodeKind.Visit): NodeKind.Prepared => {
  if (node.handler !== undefined) return prepareHandler(node, node.handler, visit)
  const { next, state } = visit
  const { tools: registry, tracer } = visit.run
  const key = NodeKind.outputKey(node)
  // No handler and no tools: the node passes its resolved inputs through as its output (as Victor does).
  if (node.tools.length === 0) {
    const resolved = resolveInputs(node, node.inputs, state)
    if (Either.isLeft(resolved)) return NodeKind.failed(node.inputs, resolved.left)
    const outputs = resolved.right
    return { inputs: outputs, body: Effect.succeed({ outputs, updates: { [key]: outputs }, next }) }
  }
  // Keys named after a tool hold that tool's own inputs; the other keys are shared by every tool. Each tool's
  // inputs are resolved for that tool, so that its code inputs are rendered by its own template.
  const written = node.inputs
  const perTool = node.tools.length > 1 && node.tools.some((tool) => Object.hasOwn(written, tool))
  const shared = perTool
    ? Object.fromEntries(Object.entries(written).filter(([name]) => !node.tools.includes(name)))
    : written
  const calls: Array<readonly [string, JsonObject]> = []
  for (const tool of node.tools) {
    const own = perTool ? written[tool] : undefined
    if (own !== undefined && !isPlainObject(own)) {
      return NodeKind.failed(written, `inputs.${tool} must be a mapping of the ${tool} tool's inputs`)
    }
    const resolved = resolveInputs(
      node,
      own === undefined ? shared : { ...shared, ...own },
      state,
      registry.tools.get(tool)?.codeInputs
    )
    if (Either.isLeft(resolved)) return NodeKind.failed(written, resolved.left)
    calls.push([tool, resolved.right])
  }
  return {
    inputs: Object.fromEntries(calls),
    body: Effect.gen(function*() {
      const outputs: Record<string, unknown> = {}
      for (const [name, toolInputs] of calls) {
        const tool = yield* registry.get(name).pipe(
          Effect.mapError((error) => new NodeKind.NodeFailure({ message: error.message }))
        )
        const result = yield* Effect.either(
          tracer.withToolCall(name, toolInputs, tool.run(toolInputs), ToolRegistry.describeToolError)
        )
        if (Either.isRight(result)) {
          outputs[name] = result.right
        } else if (node.failFast) {
          return yield* new NodeKind.NodeFailure({ message: `${name}: ${result.left.message}` })
        } else {
          const evidence = result.left._tag === "ToolError" ? result.left.evidence : undefined
          outputs[name] = { ...evidence, error: result.left.message }
        }
      }
      return { outputs, updates: { [key]: outputs }, next }
    })
  }
}

/** What the code inputs of a compute node's tools (the shell's `command`) say about their templates. */
const codeIssues = (
  node: ComputeNode,
  tools: ToolRegistry.ToolRegistryService
): ReadonlyArray<NodeKind.Issue> =>
  node.tools.flatMap((name) => {
    const code = tools.tools.get(name)?.codeInputs ?? {}
    // A key named after the tool holds its own inputs (see `prepare`); the other keys are shared.
    const own = node.inputs[name]
    const inputs = own !== null && typeof own === "object" && !Array.isArray(own) ? { ...node.inputs, ...own } : node.inputs
    return Object.entries(code).flatMap(([input, template]) => {
      const written = inputs[input]
      if (typeof written !== "string" || template.check === undefined) return []
      return template.check(written).map(({ description, severity }): NodeKind.Issue => ({
        severity,
        at: ["inputs"],
        description: `node '${node.id}' ${description}`
      }))
    })
  })

/** Errors for the tools a node lists that no registry has. */
export const unknownTools = (
  tools: ReadonlyArray<string>,
  registry: ToolRegistry.ToolRegistryService,
  description: (tool: string) => string
): ReadonlyArray<NodeKind.Issue> =>
  tools.flatMap((tool) =>
    registry.tools.has(tool) ? [] : [
      NodeKind.error(null, description(tool), `known tools: ${ToolRegistry.listNames(registry.tools.keys())}`)
    ]
  )

/** The `compute` kind. */
export const kind: NodeKind.NodeKind<ComputeNode> = NodeKind.make({
  type: "compute",
  schema: ComputeNode,
  check: (node) => {
    // Neither tools nor a handler: the node passes its resolved inputs through (Victor's semantics).
    const seen = new Set<string>()
    const issues: Array<NodeKind.Issue> = []
    node.tools.forEach((tool, j) => {
      if (seen.has(tool)) {
        issues.push(NodeKind.error(
          ["tools", j],
          `compute node '${node.id}' lists tool '${tool}' twice (its output is keyed by tool name)`,
          "split the calls into two nodes"
        ))
      }
      seen.add(tool)
    })
    return issues
  },
  validate: (node, { functions, tools }) => [
    ...(node.handler !== undefined && !functions.handlers.has(node.handler)
      ? [NodeKind.error(
        ["handler"],
        `node '${node.id}' uses handler '${node.handler}', which is not registered`,
        `registered handlers: ${ToolRegistry.listNames(functions.handlers.keys())} (plugins add more)`
      )]
      : []),
    ...(node.handler === undefined ? codeIssues(node, tools) : []),
    ...unknownTools(node.tools, tools, (tool) => `node '${node.id}' uses unknown tool '${tool}'`)
  ],
  toolEnvironment: true,
  prepare
})
