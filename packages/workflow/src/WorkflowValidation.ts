/**
 * Everything wrong with a loaded workflow that the loader alone cannot know, checked before anything runs: tools,
 * compute handlers and named conditions that are not registered, node types no installed kind runs, children that
 * are missing or contain each other (for definitions built in code), and the same for every sub-workflow it runs.
 * What each node needs of the registries is its kind's to say (`NodeKind.validate`). Together with the loader's
 * warnings (unreachable nodes, loops without an exit, unknown fields, ...) this is what `victor workflow validate`
 * reports.
 *
 * Every finding names the file, line, column and node: `path:line:column: node 'id': what is wrong; how to fix it`.
 */
import * as Effect from "effect/Effect"
import * as FunctionRegistry from "./FunctionRegistry.ts"
import { childCycle } from "./internal/graph.ts"
import * as Kinds from "./internal/kinds.ts"
import type * as NodeKind from "./NodeKind.ts"
import * as Condition from "./nodes/Condition.ts"
import * as ToolRegistry from "./ToolRegistry.ts"
import * as WorkflowDefinition from "./WorkflowDefinition.ts"
import { WorkflowLoadError } from "./WorkflowLoadError.ts"

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

/** The state keys the workflow's own nodes set (outputs, transform assignments, output mappings, ...). */
export const keysSet = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  kinds: ReadonlyMap<string, NodeKind.Any> = Kinds.builtin
): ReadonlySet<string> => {
  // A definition is immutable and every run checks it again: its keys are worked out once (per set of kinds).
  const cached = keysCache.get(workflow)
  if (cached !== undefined && cached.kinds === kinds) return cached.keys
  const keys = new Set<string>()
  for (const node of workflow.nodes) {
    if (node.output !== undefined) keys.add(node.output)
    const stateKeys = kinds.get(node.type)?.stateKeys
    if (stateKeys === undefined) keys.add(WorkflowDefinition.outputKey(node))
    else for (const key of stateKeys(node)) keys.add(key)
  }
  keysCache.set(workflow, { kinds, keys })
  return keys
}

const keysCache = new WeakMap<
  WorkflowDefinition.WorkflowDefinition,
  { readonly kinds: ReadonlyMap<string, NodeKind.Any>; readonly keys: ReadonlySet<string> }
>()

/**
 * The bare name a condition consists of when it is meant as a registered condition: a single name (no operators,
 * no `$ctx.`), which is not a state key the workflow sets itself.
 */
export const namedCondition: (
  node: WorkflowDefinition.ConditionNode,
  setKeys: ReadonlySet<string>
) => string | undefined = Condition.namedCondition

/** A kind's issue about a node, located in the workflow's file (at the field its path starts with). */
const locatedIssue = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  nodeId: string,
  issue: NodeKind.Issue
): Finding =>
  finding(
    issue.severity,
    workflow,
    nodeId,
    issue.at === null ? null : issue.at[0] === undefined ? undefined : String(issue.at[0]),
    issue.description,
    issue.hint
  )

/**
 * The workflow's state keys, worked out when first asked. Only a condition that is one bare name asks, and working
 * them out parses every transform line again: most workflows never need them.
 */
const lazyKeys = (make: () => ReadonlySet<string>): NodeKind.StateKeys => {
  let keys: ReadonlySet<string> | undefined
  return { has: (key) => (keys ??= make()).has(key) }
}

const checkOne = (
  workflow: WorkflowDefinition.WorkflowDefinition,
  tools: ToolRegistry.ToolRegistryService,
  functions: FunctionRegistry.FunctionRegistryService,
  kinds: Kinds.Kinds
): ReadonlyArray<Finding> => {
  const findings: Array<Finding> = []
  const ids = new Set(workflow.nodes.map((node) => node.id))
  const cycle = childCycle(workflow.nodes, kinds)
  const context: NodeKind.ValidationContext = {
    workflow,
    tools,
    functions,
    stateKeys: lazyKeys(() => keysSet(workflow, kinds))
  }
  for (const node of workflow.nodes) {
    const kind = kinds.get(node.type)
    if (kind === undefined) {
      findings.push(finding(
        "error",
        workflow,
        node.id,
        "type",
        `node '${node.id}' has unknown type '${node.type}'`,
        `known types: ${Array.from(kinds.keys()).join(", ")} (plugins add more)`
      ))
      continue
    }
    if (kind.children !== undefined) {
      const missing = kind.children.of(node).find((id) => !ids.has(id))
      if (missing !== undefined) {
        findings.push(finding(
          "error",
          workflow,
          node.id,
          null,
          `node '${node.id}' has ${kind.children.key} entry '${missing}', which is not a node in this workflow`
        ))
      } else if (cycle?.[0] === node.id) {
        findings.push(finding(
          "error",
          workflow,
          node.id,
          null,
          `${node.type} node '${node.id}' contains itself: ${cycle.map((id) => `'${id}'`).join(" -> ")}`
        ))
      }
    }
    for (const issue of kind.validate?.(node, context) ?? []) findings.push(locatedIssue(workflow, node.id, issue))
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
    const kinds = Kinds.of(functions)
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
      findings.push(...checkOne(definition, tools, functions, kinds))
      // The workflows its nodes run (a missing one is its node's finding).
      for (const node of definition.nodes) {
        const child = definition.subWorkflows?.[node.id]
        if (child !== undefined) visit(child)
      }
    }
    visit(workflow)
    return findings
  })

/** Only the errors of `check`. */
export const errors = (findings: ReadonlyArray<Finding>): ReadonlyArray<Finding> =>
  findings.filter((f) => f.severity === "error")

/**
 * Fails with the first error `check` finds, as a `WorkflowLoadError` pointing at the node's line and column when the
 * definition came from a file: what a run checks before it starts.
 */
export const validate = (
  workflow: WorkflowDefinition.WorkflowDefinition
): Effect.Effect<void, WorkflowLoadError, ToolRegistry.ToolRegistry> =>
  Effect.flatMap(check(workflow), (findings) => {
    const first = errors(findings)[0]
    return first === undefined ? Effect.void : Effect.fail(
      new WorkflowLoadError({
        reason: "Invalid",
        path: first.path,
        ...(first.line === undefined ? {} : { line: first.line }),
        ...(first.column === undefined ? {} : { column: first.column }),
        ...(first.nodeId === undefined ? {} : { nodeId: first.nodeId }),
        description: first.description,
        ...(first.hint === undefined ? {} : { hint: first.hint })
      })
    )
  })
