/**
 * Loads workflow files: YAML parse (errors name line and column), `$env.NAME` / `${NAME:-default}` interpolation of
 * string values (read through Effect `Config`, so the current `ConfigProvider` decides), Schema decoding (errors name
 * the field and its line), then graph validation (missing targets, duplicate ids, conditions without branches, ...).
 *
 * A file holds `workflows: { <name>: {...} }` (one or many; pick one with `options.workflow`, which a file with one
 * workflow does not need) or a single workflow at the top level, named by its `name:` key or the file's base name.
 * Every error is a `WorkflowLoadError` whose message reads `path:line:column: what is wrong; how to fix it`.
 *
 * The workflows that `workflow` nodes run are loaded too (from the same file, or from `path:` relative to the file,
 * which needs `loadFile`), recursively; a cycle of sub-workflows is an error naming the chain.
 *
 * Nodes that include a stage template (`stage: analyze_stage` with `overrides:`) are resolved before decoding, as
 * Victor does (see `StageTemplate`); an unknown stage or an override that may not be made is an error at its line,
 * and messages about a resolved node's fields point at the override, or at `stage:` for what the template gave.
 * A `hitl` node's `options: [{label, ...}]` (Victor's way of writing choices) become its `choices`.
 *
 * What a node may hold is its kind's to say (`NodeKind`): the built-in kinds, and those of the plugins in the
 * `FunctionRegistry` in context, whose node types load like any other; a type no kind knows is an error that lists
 * the known ones.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import * as FunctionRegistry from "./FunctionRegistry.ts"
import * as graph from "./internal/graph.ts"
import * as Kinds from "./internal/kinds.ts"
import * as nodePositions from "./internal/nodePositions.ts"
import * as nodeRecords from "./internal/nodeRecords.ts"
import { isPlainObject } from "./internal/plainData.ts"
import * as stages from "./internal/stages.ts"
import * as yamlDocument from "./internal/yamlDocument.ts"
import * as StageTemplate from "./StageTemplate.ts"
import * as WorkflowDefinition from "./WorkflowDefinition.ts"
import { location, WorkflowLoadError } from "./WorkflowLoadError.ts"

export {
  /** A workflow file could not be loaded; the message is `path:line:column: description; hint`. */
  WorkflowLoadError,
  /** Why a workflow could not be loaded. */
  WorkflowLoadErrorReason
} from "./WorkflowLoadError.ts"

/** Options of `parse` and `loadFile`. */
export interface LoadOptions {
  /** Which workflow of a file with several (`--workflow NAME`). */
  readonly workflow?: string
  /**
   * Reads the file a sub-workflow's `path:` names (already resolved against the parent file). `loadFile` reads
   * from the `FileSystem`; without a reader, `parse` rejects sub-workflows in other files.
   */
  readonly readFile?: (path: string) => Effect.Effect<string, WorkflowLoadError>
  /**
   * Stage templates that `stage:` may name, on top of `StageTemplate.builtin` (a template of the same name replaces
   * the built-in one); a file's own top-level `stage_templates:` replace these in turn.
   */
  readonly stageTemplates?: StageTemplate.StageTemplates
}

/** What a recursive load shares: the chain of workflows being loaded (for cycles) and those already loaded. */
interface Session {
  readonly chain: ReadonlyArray<string>
  readonly loaded: Map<string, WorkflowDefinition.WorkflowDefinition>
  readonly sources: Map<string, string>
}

/** `path` resolved against the directory of `from` (`/` and `\\` separators; `.` and `..` removed). */
export const resolvePath = (from: string, path: string): string => {
  const absolute = path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:[\\/]/.test(path)
  const slash = Math.max(from.lastIndexOf("/"), from.lastIndexOf("\\"))
  const joined = absolute ? path : slash < 0 ? path : `${from.slice(0, slash + 1)}${path}`
  const leading = joined.startsWith("/") ? "/" : ""
  const parts: Array<string> = []
  for (const part of joined.split(/[\\/]+/)) {
    if (part === "" || part === ".") continue
    if (part === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop()
    else if (part === ".." && leading === "/") continue
    else parts.push(part)
  }
  return `${leading}${parts.join("/")}` || "."
}

const workflowKey = (path: string, name: string): string => `${resolvePath("", path)}#${name}`

/** The file's base name without `.yaml` / `.yml`: the name of a top-level workflow without `name:`. */
const baseName = (path: string): string => {
  const file = path.split(/[\\/]/).pop() ?? path
  return file.replace(/\.ya?ml$/i, "") || file
}

type Segment = string | number

const encodedKeys = (schema: Schema.Schema.AnyNoContext): ReadonlySet<string> =>
  new Set(SchemaAST.getPropertySignatures(SchemaAST.encodedAST(schema.ast)).map((p) => String(p.name)))

const workflowKeys = encodedKeys(WorkflowDefinition.WorkflowSpec)

/** Parses workflow YAML; `path` names the source in messages and gives a top-level workflow its default name. */
export const parse = (
  source: string,
  path: string,
  options: LoadOptions = {}
): Effect.Effect<WorkflowDefinition.WorkflowDefinition, WorkflowLoadError> =>
  parseIn(source, path, options, { chain: [], loaded: new Map(), sources: new Map([[resolvePath("", path), source]]) })

const parseIn = (
  source: string,
  path: string,
  options: LoadOptions,
  session: Session
): Effect.Effect<WorkflowDefinition.WorkflowDefinition, WorkflowLoadError> =>
  Effect.gen(function*() {
    // The node kinds it may use: the built-in ones and the plugins' in the registry in context.
    const kinds = Kinds.of(yield* FunctionRegistry.current)
    const result = yamlDocument.parse(source)
    if ("error" in result) {
      return yield* new WorkflowLoadError({
        reason: "Syntax",
        path,
        ...result.error.position,
        description: `invalid YAML: ${result.error.description}`
      })
    }
    const parsed = result.parsed
    const error = (
      reason: WorkflowLoadError["reason"],
      at: ReadonlyArray<Segment>,
      description: string,
      hint?: string,
      nodeId?: string
    ) =>
      new WorkflowLoadError({
        reason,
        path,
        ...parsed.positionOf(at),
        description,
        ...(hint === undefined ? {} : { hint }),
        ...(nodeId === undefined ? {} : { nodeId })
      })

    // Which workflow: the one under `workflows:` picked by name, or the file itself.
    const topKeys = parsed.keysAt([])
    let prefix: ReadonlyArray<Segment>
    // The name of a workflow under `workflows:`; a top-level one is named once its values are interpolated.
    let name: string | undefined
    if (topKeys.includes("workflows")) {
      const names = parsed.keysAt(["workflows"])
      if (names.length === 0) {
        return yield* error(
          "Invalid",
          ["workflows"],
          "'workflows:' must map workflow names to workflows",
          "add at least one workflow"
        )
      }
      const chosen = options.workflow ?? (names.length === 1 ? names[0] : undefined)
      // Which workflows there are, for a caller that goes on to load each (loading stops here, before the values).
      const unknown = (description: string, hint: string) =>
        new WorkflowLoadError({
          reason: "UnknownWorkflow",
          path,
          ...parsed.positionOf(["workflows"]),
          description,
          hint,
          workflows: names
        })
      if (chosen === undefined) {
        return yield* unknown(
          `the file defines ${names.length} workflows (${names.join(", ")}) and none was chosen`,
          "pick one with --workflow <name>"
        )
      }
      if (!names.includes(chosen)) {
        return yield* unknown(`no workflow named '${chosen}' in this file`, `known workflows: ${names.join(", ")}`)
      }
      prefix = ["workflows", chosen]
      name = chosen
    } else if (topKeys.includes("nodes")) {
      prefix = []
    } else {
      return yield* error(
        "Invalid",
        [],
        parsed.empty ? "the file is empty" : "the file defines no workflow",
        "write 'workflows: { <name>: { nodes: [...] } }' or a top-level 'nodes:' list"
      )
    }

    if (!parsed.isMapping(prefix)) {
      return yield* error("Invalid", prefix, `workflow '${name ?? baseName(path)}' must be a mapping with 'nodes:'`)
    }
    // Where each field of a node resolved from a stage template was written; `located` maps paths through it.
    let origins: stages.Origins = []
    const located = (at: ReadonlyArray<Segment>) => [...prefix, ...stages.writtenAt(origins, at)]
    // The file's own stage templates (top-level `stage_templates:`, next to `workflows:` or the workflow's keys).
    const hasTemplates = parsed.has(["stage_templates"])
    // A top-level workflow's node holds its `stage_templates:`, which must not be interpolated twice.
    const separateTemplates = hasTemplates && prefix.length > 0
    for (const interpolated of separateTemplates ? [prefix, ["stage_templates"]] : [prefix]) {
      yield* parsed.interpolateEnv(interpolated).pipe(
        Effect.mapError((missing) =>
          new WorkflowLoadError({
            reason: "Invalid",
            path,
            ...missing.position,
            description: `environment variable ${missing.name} is not set`,
            hint: `set it, or write \${${missing.name}:-default} to give a default`
          })
        )
      )
    }
    // The workflow as plain data, given up once decoded (a large file's records are not kept while it is checked).
    let raw: unknown = parsed.toJS(prefix)

    // A top-level workflow is named after interpolation, so `name: ${FLOW:-nightly}` works.
    const declared = (raw as { name?: unknown }).name
    const workflowName = name ?? (typeof declared === "string" && declared !== "" ? declared : baseName(path))
    if (options.workflow !== undefined && options.workflow !== workflowName) {
      return yield* error(
        "UnknownWorkflow",
        [],
        `no workflow named '${options.workflow}' in this file`,
        `it defines one workflow: ${workflowName}`
      )
    }

    // A workflow that is already being loaded further up is a cycle of sub-workflows; one loaded before is reused.
    const self = workflowKey(path, workflowName)
    if (session.chain.includes(self)) {
      const cycle = [...session.chain.slice(session.chain.indexOf(self)), self]
      return yield* new WorkflowLoadError({
        reason: "Invalid",
        path,
        description: `sub-workflows form a cycle: ${cycle.map((k) => `'${k}'`).join(" -> ")}`,
        hint: "a workflow may not run itself, directly or through other workflows"
      })
    }
    const reused = session.loaded.get(self)
    if (reused !== undefined) return reused

    // Stage includes first: the resolved nodes are what the rest of loading sees.
    const fileTemplates: Record<string, StageTemplate.StageTemplate> = {}
    if (hasTemplates) {
      const written: unknown = parsed.toJS(["stage_templates"])
      if (!isPlainObject(written)) {
        return yield* error("Invalid", ["stage_templates"], "'stage_templates:' must map stage names to node fields")
      }
      for (const [stage, template] of Object.entries(written)) {
        if (!isPlainObject(template)) {
          return yield* error(
            "Invalid",
            ["stage_templates", stage],
            `stage template '${stage}' must be a mapping of node fields`
          )
        }
        fileTemplates[stage] = template
      }
    }
    const rawNodes = (raw as { nodes?: unknown }).nodes
    if (Array.isArray(rawNodes)) {
      const resolved = stages.resolve(rawNodes, {
        ...StageTemplate.builtin,
        ...options.stageTemplates,
        ...fileTemplates
      })
      if (Either.isLeft(resolved)) {
        const problem = resolved.left
        const id = (rawNodes[problem.index] as { id?: unknown } | undefined)?.id
        return yield* error(
          "Invalid",
          located(["nodes", problem.index, ...problem.path]),
          problem.description,
          problem.hint,
          typeof id === "string" ? id : undefined
        )
      }
      ;(raw as { nodes: ReadonlyArray<unknown> }).nodes = resolved.right.nodes
      origins = resolved.right.origins
    }

    yield* nodeRecords.checkTypes(raw, kinds, (reason, at, description, hint, nodeId) =>
      error(reason, located(at), description, hint, nodeId))

    // Defaults and other spellings applied (a node without `type:` is an agent node), as each kind says.
    const rewritten = nodeRecords.rewrite((raw as { nodes?: unknown }).nodes, kinds, origins)
    if (Either.isLeft(rewritten)) {
      const { index, issue, nodeId } = rewritten.left
      return yield* error("Invalid", located(["nodes", index, ...(issue.at ?? [])]), issue.description, issue.hint, nodeId)
    }
    origins = rewritten.right
    const decoded = nodeRecords.decoderOf(kinds)(raw)
    if (Either.isLeft(decoded)) {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(decoded.left)[0]!
      const where = nodeRecords.describePath(raw, issue.path)
      return yield* error(
        "Invalid",
        located(issue.path.map((segment) => (typeof segment === "symbol" ? String(segment) : segment))),
        `${where.text}: ${issue.message}`,
        undefined,
        where.nodeId
      )
    }
    const spec = decoded.right
    // The fields of each node resolved from a stage, as resolved: all that is needed of the records from here on.
    const resolvedNodes = (raw as { readonly nodes: ReadonlyArray<Record<string, unknown>> }).nodes
    const resolvedKeys = origins.map((origin, index) => origin === undefined ? undefined : Object.keys(resolvedNodes[index]!))
    raw = undefined
    parsed.release()

    const findings = graph.validate(spec, kinds)
    const first = findings.errors[0]
    if (first !== undefined) {
      return yield* error("Invalid", located(first.path), first.description, first.hint, first.nodeId)
    }

    const warningAt = (at: ReadonlyArray<Segment>, description: string): string => {
      const position = parsed.positionOf(located(at))
      return `${location(path, position?.line, position?.column)}: ${description}`
    }
    const unknownKeys = (
      keys: ReadonlyArray<string>,
      known: ReadonlySet<string>,
      at: ReadonlyArray<Segment>,
      owner: string
    ) =>
      keys.filter((key) => !known.has(key)).map((key) =>
        warningAt([...at, key], `${owner}: unknown field '${key}' is ignored`)
      )
    const workflowKnown = prefix.length === 0 ? new Set([...workflowKeys, "stage_templates"]) : workflowKeys
    const warnings = [
      ...findings.warnings.map((issue) => warningAt(issue.path, issue.description)),
      ...unknownKeys(parsed.keysAt(prefix), workflowKnown, [], `workflow '${workflowName}'`)
    ]
    // Where each node and each of its fields is, and the fields no kind knows, in one pass over the nodes.
    const positions = nodePositions.builder(spec.nodes.length)
    const nodesAt = [...prefix, "nodes"]
    const unknownNodeKeys: Array<string> = []
    spec.nodes.forEach((node, index) => {
      const known = kinds.get(node.type)!.keys
      if (origins[index] === undefined) {
        let seen: Set<string> | undefined
        positions.node(node.id, parsed.positionOf([...nodesAt, index]))
        parsed.mappingAt([...nodesAt, index], (key, line, column) => {
          positions.field(key, line, column)
          if (known.has(key)) return
          // A key written twice as text (`1:` and `"1":`) is reported once.
          if ((seen ??= new Set()).has(key)) return
          seen.add(key)
          unknownNodeKeys.push(`${location(path, line, column)}: node '${node.id}': unknown field '${key}' is ignored`)
        })
      } else {
        // Resolved from a stage: its fields point at the override that set them, or at `stage:`.
        const keys = resolvedKeys[index]!
        unknownNodeKeys.push(...unknownKeys(keys, known, ["nodes", index], `node '${node.id}'`))
        positions.node(node.id, parsed.positionOf(located(["nodes", index])))
        for (const key of new Set([...parsed.keysAt([...nodesAt, index]), ...keys])) {
          const at = parsed.positionOf(located(["nodes", index, key]))
          if (at !== undefined) positions.field(key, at.line, at.column)
        }
      }
    })
    const { nodeLines, nodePositions: nodePositionsById } = positions.done()
    warnings.push(...unknownNodeKeys)

    // Sub-workflows, depth first: the chain of workflows being loaded finds cycles, `loaded` shares the rest.
    const key = workflowKey(path, workflowName)
    const chain = [...session.chain, key]
    const subWorkflows: Record<string, WorkflowDefinition.WorkflowDefinition> = {}
    for (const [index, node] of spec.nodes.entries()) {
      if (node.type !== "workflow") continue
      const at = ["nodes", index, node.path === undefined ? "workflow" : "path"] as const
      const childPath = node.path === undefined ? path : resolvePath(path, node.path)
      if (node.path === undefined && node.workflow === undefined) {
        return yield* error(
          "Invalid",
          located(["nodes", index]),
          `workflow node '${node.id}' names no workflow`,
          "add 'workflow: <name>' (a workflow of this file) or 'path: <file>' (relative to this file)",
          node.id
        )
      }
      // A named child already being loaded closes a cycle: reported here, at the node that closes it.
      const childKey = node.workflow === undefined ? undefined : workflowKey(childPath, node.workflow)
      if (childKey !== undefined && chain.includes(childKey)) {
        const cycle = [...chain.slice(chain.indexOf(childKey)), childKey]
        return yield* error(
          "Invalid",
          located(at),
          `workflow node '${node.id}': sub-workflows form a cycle: ${cycle.map((k) => `'${k}'`).join(" -> ")}`,
          "a workflow may not run itself, directly or through other workflows",
          node.id
        )
      }
      let childSource = session.sources.get(resolvePath("", childPath))
      if (childSource === undefined) {
        if (options.readFile === undefined) {
          return yield* error(
            "Unsupported",
            located(at),
            `workflow node '${node.id}' runs a workflow from '${node.path}', and this workflow was parsed from ` +
              "text without a way to read other files",
            "load it with WorkflowLoader.loadFile",
            node.id
          )
        }
        childSource = yield* options.readFile(childPath)
        session.sources.set(resolvePath("", childPath), childSource)
      }
      const childOptions: LoadOptions = {
        ...(node.workflow === undefined ? {} : { workflow: node.workflow }),
        ...(options.readFile === undefined ? {} : { readFile: options.readFile }),
        ...(options.stageTemplates === undefined ? {} : { stageTemplates: options.stageTemplates })
      }
      // The child's name is known once it is parsed; a cycle is a key already on the chain.
      const child = yield* parseIn(childSource, childPath, childOptions, { ...session, chain }).pipe(
        Effect.catchTag("WorkflowLoadError", (cause) =>
          cause.reason === "UnknownWorkflow" && cause.path === childPath && node.path === undefined
            ? Effect.fail(
              error(
                "Invalid",
                located(at),
                `workflow node '${node.id}' runs workflow '${node.workflow}', which is not in this file`,
                cause.hint,
                node.id
              )
            )
            : Effect.fail(cause))
      )
      subWorkflows[node.id] = child
    }
    const definition = WorkflowDefinition.make(workflowName, spec, {
      warnings,
      children: Kinds.childrenOf(spec.nodes, kinds),
      source: { path, nodeLines, nodePositions: nodePositionsById },
      ...(Object.keys(subWorkflows).length === 0 ? {} : { subWorkflows })
    })
    session.loaded.set(key, definition)
    return definition
  })

/** Reads and parses a workflow file. */
export const loadFile = (
  path: string,
  options: LoadOptions = {}
): Effect.Effect<WorkflowDefinition.WorkflowDefinition, WorkflowLoadError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const source = yield* fs.readFileString(path).pipe(
      Effect.mapError((error) =>
        error._tag === "SystemError" && error.reason === "NotFound"
          ? new WorkflowLoadError({
            reason: "NotFound",
            path,
            description: "no such workflow file",
            hint: "check the path (relative paths start at the current directory)"
          })
          : new WorkflowLoadError({ reason: "Unreadable", path, description: `cannot read the file: ${error.message}` })
      )
    )
    const readFile = (file: string) =>
      fs.readFileString(file).pipe(
        Effect.mapError((error) =>
          error._tag === "SystemError" && error.reason === "NotFound"
            ? new WorkflowLoadError({
              reason: "NotFound",
              path: file,
              description: "no such workflow file (named by a workflow node's 'path:')",
              hint: "sub-workflow paths are relative to the file that names them"
            })
            : new WorkflowLoadError({ reason: "Unreadable", path: file, description: `cannot read the file: ${error.message}` })
        )
      )
    return yield* parse(source, path, { readFile, ...options })
  })
