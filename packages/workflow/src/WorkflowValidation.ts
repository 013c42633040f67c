/**
 * Everything wrong with a loaded workflow that the loader alone cannot know, checked before anything runs: tools,
 * compute handlers and named conditions that are not registered, parallel nodes that name missing nodes or contain
 * each other (for definitions built in code), and the same for every sub-workflow it runs. Together with the
 * loader's warnings (unreachable nodes, loops without an exit, unknown fields, ...) this is what
 * `victor workflow validate` reports.
 *
 * Every finding names the file, line, column and node: `path:line:column: node 'id': what is wrong; how to fix it`.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Expression from "./Expression.ts"
import * as FunctionRegistry from "./FunctionRegistry.ts"
import * as Assignments from "./internal/assignments.ts"
import { parallelCycle } from "./internal/graph.ts"
import * as ToolRegistry from "./ToolRegistry.ts"
import * as WorkflowDefinition from "./WorkflowDefinition.ts"

/** How bad a finding is: an error stops a run; a warning is printed and the run goes on. */
export type Severity = "error" | "warning"

/** One problem, located. */
export interface Finding {
  readonly severity: Severity
  /** The file (or the workflow name, for a definition built in code). */
  readonly path: string
  readonly line?: number
  readonly column?: number
  readonly nodeId?: string
  readonly description: string
  readonly hint?: string
  /** `path:line:column: description; hint`. */
  readonly message: string
}

const locate = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  nodeId: string,
  field: string | null | undefined
): { readonly path: string; readonly line?: number; readonly column?: number } => {
  const path = workflow.source?.path ?? workflow.name
  if (field === null) {
    const line = workflow.source?.nodeLines[nodeId]
    return line === undefined ? { path } : { path, line }
  }
  const positions = workflow.source?.nodePositions?.[nodeId]
  const at = (field === undefined ? undefined : positions?.fields[field]) ?? positions?.node
  if (at !== undefined) return { path, line: at.line, column: at.column }
  const line = workflow.source?.nodeLines[nodeId]
  return line === undefined ? { path } : { path, line }
}

/**
 * Builds a finding about a node, located at one of its fields (`path:line:column`), at the node's entry when the
 * field is not written, or, with `null`, at the node's line alone.
 */
export const finding = (
  severity: Severity,
  workflow: WorkflowDefinition.WorkflowDefinition,
  nodeId: string,
  field: string | null | undefined,
  description: string,
  hint?: string
): Finding => {
  const where = locate(workflow, nodeId, field)
  const position = where.line === undefined
    ? where.path
    : where.column === undefined
    ? `${where.path}:${where.line}`
    : `${where.path}:${where.line}:${where.column}`
  return {
    severity,
    ...where,
    nodeId,
    description,
    ...(hint === undefined ? {} : { hint }),
    message: `${position}: ${description}${hint === undefined ? "" : `; ${hint}`}`
  }
}

/** The state keys the workflow's own nodes set (outputs, transform assignments, output mappings). */
export const keysSet = (workflow: WorkflowDefinition.WorkflowDefinition): ReadonlySet<string> => {
  // A definition is immutable and every run checks it again: its keys are worked out once.
  const cached = keysCache.get(workflow)
  if (cached !== undefined) return cached
  const keys = new Set<string>()
  for (const node of workflow.nodes) {
    if (node.output !== undefined) keys.add(node.output)
    switch (node.type) {
      case "condition":
        break
      case "transform": {
        const parsed = Assignments.parse(node.transform)
        if (Either.isRight(parsed)) for (const { key } of parsed.right) keys.add(key)
        break
      }
      case "workflow":
        for (const key of Object.keys(node.outputMapping)) keys.add(key)
        keys.add(WorkflowDefinition.outputKey(node))
        break
      default:
        keys.add(WorkflowDefinition.outputKey(node))
    }
  }
  keysCache.set(workflow, keys)
  return keys
}

const keysCache = new WeakMap<WorkflowDefinition.WorkflowDefinition, ReadonlySet<string>>()

/**
 * The bare name a condition consists of when it is meant as a registered condition: a single name (no operators,
 * no `$ctx.`), which is not a state key the workflow sets itself.
 */
export const namedCondition = (
  node: WorkflowDefinition.ConditionNode,
  setKeys: ReadonlySet<string>
): string | undefined => {
  const parsed = Expression.parse(node.condition)
  if (Either.isLeft(parsed)) return undefined
  const name = Expression.bareName(parsed.right)
  return name === undefined || setKeys.has(name) ? undefined : name
}

/** What the code inputs of a compute node's tools (the shell's `command`) say about their templates. */
const codeFindings = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  node: WorkflowDefinition.ComputeNode,
  tools: ToolRegistry.ToolRegistryService
): ReadonlyArray<Finding> =>
  node.tools.flatMap((name) => {
    const code = tools.tools.get(name)?.codeInputs ?? {}
    // A key named after the tool holds its own inputs (see the executor); the other keys are shared.
    const own = node.inputs[name]
    const inputs = own !== null && typeof own === "object" && !Array.isArray(own) ? { ...node.inputs, ...own } : node.inputs
    return Object.entries(code).flatMap(([input, template]) => {
      const written = inputs[input]
      if (typeof written !== "string" || template.check === undefined) return []
      return template.check(written).map(({ description, severity }) =>
        finding(severity, workflow, node.id, "inputs", `node '${node.id}' ${description}`)
      )
    })
  })

const checkOne = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  tools: ToolRegistry.ToolRegistryService,
  functions: FunctionRegistry.FunctionRegistryService
): ReadonlyArray<Finding> => {
  const findings: Array<Finding> = []
  const ids = new Set(workflow.nodes.map((node) => node.id))
  const cycle = parallelCycle(workflow.nodes)
  const setKeys = keysSet(workflow)
  const knownTools = () => `known tools: ${ToolRegistry.listNames(tools.tools.keys())}`
  for (const node of workflow.nodes) {
    switch (node.type) {
      case "parallel": {
        const missing = node.parallelNodes.find((id) => !ids.has(id))
        if (missing !== undefined) {
          findings.push(finding(
            "error",
            workflow,
            node.id,
            null,
            `node '${node.id}' has parallel_nodes entry '${missing}', which is not a node in this workflow`
          ))
        } else if (cycle?.[0] === node.id) {
          findings.push(finding(
            "error",
            workflow,
            node.id,
            null,
            `parallel node '${node.id}' contains itself: ${cycle.map((id) => `'${id}'`).join(" -> ")}`
          ))
        }
        break
      }
      case "compute":
      case "agent": {
        if (node.type === "compute" && node.handler !== undefined && !functions.handlers.has(node.handler)) {
          findings.push(finding(
            "error",
            workflow,
            node.id,
            "handler",
            `node '${node.id}' uses handler '${node.handler}', which is not registered`,
            `registered handlers: ${ToolRegistry.listNames(functions.handlers.keys())} (plugins add more)`
          ))
        }
        if (node.type === "compute" && node.handler === undefined) findings.push(...codeFindings(workflow, node, tools))
        for (const tool of node.tools) {
          if (tools.tools.has(tool)) continue
          findings.push(finding(
            "error",
            workflow,
            node.id,
            null,
            `node '${node.id}' uses unknown tool '${tool}'`,
            knownTools()
          ))
        }
        break
      }
      case "team": {
        for (const [i, member] of WorkflowDefinition.teamMembers(node).entries()) {
          for (const tool of member.tools) {
            if (tools.tools.has(tool)) continue
            findings.push(finding(
              "error",
              workflow,
              node.id,
              null,
              `node '${node.id}': member '${node.members[i]!.id}' uses unknown tool '${tool}'`,
              knownTools()
            ))
          }
        }
        break
      }
      case "transform": {
        const name = WorkflowDefinition.namedTransform(node)
        if (name !== undefined && !functions.transforms.has(name)) {
          findings.push(finding(
            "error",
            workflow,
            node.id,
            "transform",
            `node '${node.id}' uses transform '${name}', which is not registered`,
            `registered transforms: ${ToolRegistry.listNames(functions.transforms.keys())} (plugins add more)`
          ))
        }
        break
      }
      case "condition": {
        const name = namedCondition(node, setKeys)
        if (name !== undefined && !functions.conditions.has(name)) {
          findings.push(finding(
            "warning",
            workflow,
            node.id,
            "condition",
            `node '${node.id}': condition '${name}' is not a registered condition, and no node of the workflow ` +
              "sets a state key of that name",
            `registered conditions: ${
              ToolRegistry.listNames(functions.conditions.keys())
            }; register it with a plugin, or write '$ctx.${name}' when the run's context gives it`
          ))
        }
        break
      }
      default:
        break
    }
  }
  return findings
}

/**
 * Checks a workflow and its sub-workflows against the registries in context (the `FunctionRegistry` is optional:
 * the built-in one is used without it). Returns every finding, errors and warnings, the loader's warnings included.
 */
export const check = (
  workflow: WorkflowDefinition.WorkflowDefinition
): Effect.Effect<ReadonlyArray<Finding>, never, ToolRegistry.ToolRegistry> =>
  Effect.gen(function*() {
    const functions = yield* FunctionRegistry.current
    // Tool names resolve in the ToolRegistry first, then among the plugins' tools (as the executor does).
    const tools = FunctionRegistry.withPluginTools(yield* ToolRegistry.ToolRegistry, functions)
    const findings: Array<Finding> = []
    const seen = new Set<WorkflowDefinition.WorkflowDefinition>()
    const visit = (definition: WorkflowDefinition.WorkflowDefinition) => {
      if (seen.has(definition)) return
      seen.add(definition)
      const path = definition.source?.path ?? definition.name
      for (const warning of definition.warnings) {
        findings.push({ severity: "warning", path, description: warning, message: warning })
      }
      findings.push(...checkOne(definition, tools, functions))
      for (const node of definition.nodes) {
        if (node.type !== "workflow") continue
        const child = definition.subWorkflows?.[node.id]
        if (child === undefined) {
          findings.push(finding(
            "error",
            definition,
            node.id,
            node.path === undefined ? "workflow" : "path",
            `workflow node '${node.id}' has no loaded sub-workflow`,
            "load the workflow with WorkflowLoader, which resolves sub-workflows"
          ))
        } else {
          visit(child)
        }
      }
    }
    visit(workflow)
    return findings
  })

/** Only the errors of `check`. */
export const errors = (findings: ReadonlyArray<Finding>): ReadonlyArray<Finding> =>
  findings.filter((f) => f.severity === "error")
