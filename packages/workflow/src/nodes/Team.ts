/**
 * The `team` node kind: its members run as agent nodes under it (`teamMembers`), in order (each
 * given the previous answer as `team_previous`) or at once, as its `team_formation` says; its output is every
 * member's answer (`{formation, members, response, success, errors?}`). A failed member fails the team unless
 * `continue_on_error` (then the team fails only when every member did). Like a parallel node, only its own `timeout`
 * bounds it: the default node timeout bounds each member.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import { JsonObject } from "@victor/core/Json"
import { isPlainObject } from "../internal/plainData.ts"
import * as NodeFields from "../NodeFields.ts"
import * as NodeKind from "../NodeKind.ts"
import { type AgentNode, allowedTools, defaultToolBudget } from "./Agent.ts"
import { unknownTools } from "./Compute.ts"

/**
 * How a `team` node runs its members. Victor's formations, as read here: `sequential` and `pipeline` run the members
 * in order, each one given the previous member's output (Victor: "context chaining" / "output of one member feeds
 * into the next"); `parallel` runs them at once, each on the team's input state (Victor: "independent work");
 * `hierarchical` (a supervisor delegating, then synthesizing) is run in order like `sequential`, the members as
 * listed (write the manager last to have it synthesize); `consensus` (all must agree, in rounds) runs one round
 * in parallel and records every member's answer without checking agreement.
 */
export const TeamFormation = Schema.Literal("sequential", "parallel", "hierarchical", "pipeline", "consensus")
  .annotations({ identifier: "TeamFormation" })

/** How a `team` node runs its members. */
export type TeamFormation = typeof TeamFormation.Type

/**
 * One member of a `team` node: run as an agent node under the team node (its trace record is a child of the team's,
 * with id `<team id>.<member id>`). `backstory`, `expertise` and `personality` join the member's system prompt.
 * Victor's other member fields (`agent_category`, `can_delegate`, `delegation_targets`, `is_manager`) are accepted
 * and not used.
 */
export const TeamMember = Schema.Struct({
  id: NodeFields.NodeId,
  name: Schema.optional(Schema.String),
  role: Schema.optional(Schema.String),
  goal: Schema.String,
  tools: Schema.optionalWith(NodeFields.StringList, { default: () => [] }),
  allowedTools: Schema.optional(NodeFields.StringList).pipe(Schema.fromKey("allowed_tools")),
  toolBudget: Schema.optionalWith(
    Schema.Int.pipe(Schema.nonNegative({ message: () => "must be a whole number of tool calls >= 0" })),
    { default: () => defaultToolBudget }
  ).pipe(Schema.fromKey("tool_budget")),
  llmConfig: Schema.optionalWith(JsonObject, { default: () => ({}) }).pipe(Schema.fromKey("llm_config")),
  backstory: Schema.optional(Schema.String),
  expertise: Schema.optional(NodeFields.StringList),
  personality: Schema.optional(Schema.String),
  profile: Schema.optional(Schema.String)
}).annotations({ identifier: "TeamMember" })

/** One member of a `team` node. */
export interface TeamMember extends Schema.Schema.Type<typeof TeamMember> {}

/**
 * A `team` node (Victor's TeamStep): its `members` run as agent nodes under it, in the order or all at once as its
 * `team_formation` says (see `TeamFormation`); each member's goal is followed by the team's `goal` and, in order
 * formations, the previous member's answer. The team's output (`{formation, members: {id: answer}, response,
 * success, errors?}`, `response` the last answer) is stored under `output` (Victor writes `output_key`).
 * `timeout_seconds` is Victor's spelling of `timeout`. With `continue_on_error: true` a failed member is recorded
 * and the others go on; else the first failure fails the team. `merge_strategy`, `merge_mode`, `max_iterations`,
 * `total_tool_budget` and `shared_context` are carried into the node's trace metadata.
 */
export const TeamNode = Schema.Struct({
  type: Schema.Literal("team"),
  ...NodeFields.common,
  goal: Schema.optionalWith(Schema.String, { default: () => "" }),
  teamFormation: Schema.optionalWith(TeamFormation, { default: () => "sequential" as const }).pipe(
    Schema.fromKey("team_formation")
  ),
  members: Schema.Array(TeamMember).pipe(Schema.minItems(1, { message: () => "must list at least one member" })),
  outputKey: Schema.optional(NodeFields.NodeId).pipe(Schema.fromKey("output_key")),
  timeoutSeconds: Schema.optional(NodeFields.Seconds).pipe(Schema.fromKey("timeout_seconds")),
  continueOnError: Schema.optionalWith(Schema.Boolean, { default: () => false }).pipe(
    Schema.fromKey("continue_on_error")
  ),
  mergeStrategy: Schema.optional(Schema.String).pipe(Schema.fromKey("merge_strategy")),
  mergeMode: Schema.optional(Schema.String).pipe(Schema.fromKey("merge_mode")),
  maxIterations: Schema.optional(Schema.Int).pipe(Schema.fromKey("max_iterations")),
  totalToolBudget: Schema.optional(Schema.Int).pipe(Schema.fromKey("total_tool_budget")),
  sharedContext: Schema.optional(Schema.Unknown).pipe(Schema.fromKey("shared_context"))
}).annotations({ identifier: "TeamNode" })

/** A `team` node. */
export interface TeamNode extends Schema.Schema.Type<typeof TeamNode> {}

/**
 * The agent nodes a team node's members run as (made once per team node): id `<team id>.<member id>`, the member's
 * goal followed by the team's goal, and `{{team_previous}}` (the previous member's answer, which the executor puts
 * in the member's state) in order formations.
 */
export const teamMembers = (node: TeamNode): ReadonlyArray<AgentNode> => {
  let members = membersOf.get(node)
  if (members === undefined) {
    const chained = node.teamFormation !== "parallel" && node.teamFormation !== "consensus"
    members = node.members.map((member, i): AgentNode => {
      const persona = [
        member.backstory?.trim(),
        member.expertise === undefined || member.expertise.length === 0
          ? undefined
          : `Expertise: ${member.expertise.join(", ")}.`,
        member.personality === undefined ? undefined : `Personality: ${member.personality.trim()}.`
      ].filter((part): part is string => part !== undefined && part !== "")
      const goal = [
        member.goal.trim(),
        ...(node.goal.trim() === "" ? [] : [`Team goal:\n${node.goal.trim()}`]),
        ...(chained && i > 0 ? ["Previous team member's work:\n{{team_previous}}"] : [])
      ].join("\n\n")
      return {
        type: "agent",
        id: `${node.id}.${member.id}`,
        name: member.name ?? member.id,
        next: [],
        inputMapping: {},
        constraints: node.constraints,
        ...(member.role === undefined ? {} : { role: member.role }),
        goal,
        tools: allowedTools(member.tools, member.allowedTools),
        toolBudget: member.toolBudget,
        llmConfig: member.llmConfig,
        ...(persona.length === 0 ? {} : { instructions: persona.join("\n\n") }),
        ...(member.profile === undefined ? {} : { profile: member.profile })
      }
    })
    membersOf.set(node, members)
  }
  return members
}

const membersOf = new WeakMap<TeamNode, ReadonlyArray<AgentNode>>()

const prepare = (node: TeamNode, visit: NodeKind.Visit): NodeKind.Prepared => {
  const { deadline, next, run, state: view } = visit
  const members = teamMembers(node)
  const formation = node.teamFormation
  const inParallel = formation === "parallel" || formation === "consensus"
  const carried: Record<string, unknown> = {}
  if (node.mergeStrategy !== undefined) carried.merge_strategy = node.mergeStrategy
  if (node.mergeMode !== undefined) carried.merge_mode = node.mergeMode
  if (node.maxIterations !== undefined) carried.max_iterations = node.maxIterations
  if (node.totalToolBudget !== undefined) carried.total_tool_budget = node.totalToolBudget
  if (node.sharedContext !== undefined) carried.shared_context = node.sharedContext
  const key = NodeKind.outputKey(node)
  return {
    inputs: {
      team_formation: formation,
      members: node.members.map((member) => member.id),
      continue_on_error: node.continueOnError
    },
    ...(Object.keys(carried).length === 0 ? {} : { metadata: carried }),
    body: Effect.gen(function*() {
      const answers: Record<string, unknown> = {}
      const errors: Record<string, string> = {}
      const runMember = (member: AgentNode, i: number, memberView: JsonObject) =>
        Effect.either(run.attemptNode(member, memberView, run.visit(member.id), deadline)).pipe(
          Effect.map((result) => {
            const id = node.members[i]!.id
            if (Either.isRight(result)) answers[id] = result.right.outputs
            else errors[id] = result.left.message
            return result
          })
        )
      let last: unknown = undefined
      if (inParallel) {
        const results = yield* Effect.forEach(members, (member, i) => runMember(member, i, { ...view }), {
          concurrency: run.concurrency
        })
        for (const result of results) if (Either.isRight(result)) last = result.right.outputs
      } else {
        for (const [i, member] of members.entries()) {
          const memberView = last === undefined ? { ...view } : { ...view, team_previous: last }
          const result = yield* runMember(member, i, memberView)
          if (Either.isRight(result)) last = result.right.outputs
          else if (!node.continueOnError) break
        }
      }
      const failures = Object.entries(errors)
      if (failures.length > 0 && (!node.continueOnError || failures.length === members.length)) {
        return yield* new NodeKind.NodeFailure({
          message: `${failures.length} of ${members.length} team members failed: ${
            failures.map(([id, error]) => `'${id}': ${error}`).join("; ")
          }`,
          final: true
        })
      }
      const response = isPlainObject(last) && typeof last.response === "string" ? last.response : null
      const outputs: JsonObject = {
        formation,
        members: answers,
        response,
        success: failures.length === 0,
        ...(failures.length === 0 ? {} : { errors })
      }
      return { outputs, updates: { [key]: outputs }, next }
    })
  }
}

/** The `team` kind. */
export const kind: NodeKind.NodeKind<TeamNode> = NodeKind.make({
  type: "team",
  schema: TeamNode,
  check: (node) => {
    const issues: Array<NodeKind.Issue> = []
    const memberIds = new Set<string>()
    node.members.forEach((member, j) => {
      if (memberIds.has(member.id)) {
        issues.push(NodeKind.error(
          ["members", j, "id"],
          `team node '${node.id}' has two members with id '${member.id}'`,
          "give each member its own id"
        ))
      }
      memberIds.add(member.id)
    })
    return issues
  },
  validate: (node, { tools }) =>
    teamMembers(node).flatMap((member, i) =>
      unknownTools(
        member.tools,
        tools,
        (tool) => `node '${node.id}': member '${node.members[i]!.id}' uses unknown tool '${tool}'`
      )
    ),
  // The default node timeout bounds each member, not the whole team.
  timeout: "own",
  prepare
})
