/**
 * Stage templates: reusable node definitions that a workflow node includes with `stage: <name>` and adjusts with
 * `overrides:`, as in Victor's workflow library (its coding, devops and research workflows are written this way).
 *
 * A node `{ id, stage, overrides, ...fields }` becomes the template, then the node's own fields (each replaces the
 * template's value as a whole), then `overrides` merged in deeply (objects merge key by key, lists and scalars
 * replace); `stage` and `overrides` are gone from the result, which is decoded like any other node. This is Victor's
 * `_resolve_stage_templates`, with two differences: a template's own `description` (which describes the template) is
 * not copied into the node, and `overrides` may not set `id`, `stage` or `overrides` (Victor lets an override
 * rename the node).
 *
 * The loader looks names up in `builtin` (Victor's common stages), then `LoadOptions.stageTemplates`, then the
 * file's own top-level `stage_templates:` mapping, a later source replacing an earlier template of the same name.
 */
import type { JsonObject } from "@victor/core/Json"

/** A stage template: the fields of a node, without `id`. */
export type StageTemplate = JsonObject

/** Stage templates by name. */
export type StageTemplates = Readonly<Record<string, StageTemplate>>

const agent = (
  role: string,
  name: string,
  goal: string,
  tools: ReadonlyArray<string>,
  toolBudget: number,
  temperature: number,
  timeout: number
): StageTemplate => ({
  type: "agent",
  role,
  name,
  goal,
  tools,
  tool_budget: toolBudget,
  llm_config: { temperature },
  timeout
})

const compute = (
  name: string,
  inputs: JsonObject,
  output: string,
  constraints: ReadonlyArray<string>,
  timeout: number
): StageTemplate => ({ type: "compute", name, tools: ["shell"], inputs, output, constraints, timeout })

const hitl = (hitlType: string, name: string, prompt: string, contextKeys: ReadonlyArray<string>): StageTemplate => ({
  type: "hitl",
  name,
  hitl_type: hitlType,
  prompt,
  context_keys: contextKeys,
  timeout: 600,
  fallback: "continue"
})

/**
 * The stage templates Victor's workflows reference (`common_stages.yaml` of its workflow framework): the same names,
 * kinds, tools, budgets, temperatures and timeouts, with goals and prompts in our own words. Victor's
 * `aggregate_results_stage` is left out: its transform calls functions (`merge(*results)`) that no safe evaluator
 * offers.
 */
export const builtin: StageTemplates = {
  read_stage: agent(
    "reader",
    "Read Context",
    "Read what the task needs: decide which files matter, read them, search for related code and collect the " +
      "context.",
    ["read", "search", "grep", "find"],
    15,
    0.2,
    120
  ),
  gather_changes_stage: compute(
    "Gather Code Changes",
    { command: "$ctx.diff_command" },
    "changes",
    ["llm", "write"],
    60
  ),
  analyze_stage: agent(
    "analyst",
    "Analyze",
    "Analyze what you were given: draw out the main insights, the patterns and relations between them, and any " +
      "likely problems, as a structured analysis.",
    ["read", "grep", "code_search"],
    20,
    0.3,
    180
  ),
  security_analysis_stage: agent(
    "security_analyst",
    "Security Analysis",
    "Look for security weaknesses: the OWASP Top 10, injection, broken authentication or authorization, data " +
      "exposure and misused cryptography.",
    ["read", "grep", "code_search"],
    25,
    0.2,
    240
  ),
  performance_analysis_stage: agent(
    "performance_analyst",
    "Performance Analysis",
    "Look for performance problems: algorithmic cost, inefficient queries, missed caching, heavy resource use and " +
      "limits to scaling.",
    ["read", "grep", "code_search"],
    20,
    0.3,
    180
  ),
  quality_analysis_stage: agent(
    "quality_analyst",
    "Quality Analysis",
    "Assess code quality: duplication, use of design patterns and SOLID principles, maintainability and technical " +
      "debt.",
    ["read", "grep", "code_search"],
    20,
    0.3,
    180
  ),
  modify_stage: agent(
    "executor",
    "Apply Changes",
    "Make the changes needed, as small and targeted as possible, keeping existing behaviour and the project's " +
      "conventions, with comments where a change needs explaining.",
    ["read", "edit", "write"],
    30,
    0.1,
    300
  ),
  refactor_stage: agent(
    "refactored",
    "Refactor Code",
    "Restructure the code without changing what it does: better organisation, less duplication, clearer code and " +
      "fitting design patterns.",
    ["read", "edit", "write", "grep"],
    40,
    0.2,
    600
  ),
  verify_stage: compute(
    "Run Verification",
    { commands: ["$ctx.test_command", "$ctx.lint_command", "$ctx.type_check_command"] },
    "verification_results",
    ["llm"],
    300
  ),
  lint_check_stage: compute(
    "Run Linters",
    { commands: ["$ctx.lint_command", "$ctx.format_check_command"] },
    "lint_results",
    ["llm", "write"],
    180
  ),
  type_check_stage: compute(
    "Type Check",
    { command: "$ctx.type_check_command" },
    "type_results",
    ["llm", "write"],
    180
  ),
  test_stage: compute("Run Tests", { command: "$ctx.test_command" }, "test_results", ["llm"], 300),
  review_stage: agent(
    "reviewer",
    "Review",
    "Review the work for correctness, code quality, best practices and likely problems, and suggest improvements.",
    ["read", "grep", "code_search"],
    20,
    0.4,
    240
  ),
  pre_deploy_stage: {
    type: "compute",
    name: "Pre-Deployment Checks",
    tools: ["shell", "read"],
    inputs: { checks: ["config_validation", "dependency_check", "health_check"] },
    output: "pre_deploy_results",
    constraints: ["llm", "write"],
    timeout: 180
  },
  deploy_stage: compute(
    "Deploy",
    { command: "$ctx.deploy_command", environment: "$ctx.target_env" },
    "deploy_results",
    ["llm"],
    600
  ),
  post_deploy_stage: compute(
    "Post-Deployment Checks",
    { checks: ["health_check", "smoke_test", "monitor_check"] },
    "post_deploy_results",
    ["llm"],
    300
  ),
  search_stage: agent(
    "researcher",
    "Search",
    "Find and collect the relevant information from several sources, judge how reliable each is, and organise " +
      "what you found.",
    ["web_search", "web_fetch", "read"],
    25,
    0.2,
    300
  ),
  synthesis_stage: agent(
    "synthesizer",
    "Synthesize",
    "Bring the findings together: the themes they share, where they disagree and how that resolves, the " +
      "conclusions, in one complete report.",
    ["read", "write"],
    30,
    0.4,
    600
  ),
  data_quality_stage: compute(
    "Quality Assessment",
    { data_path: "$ctx.data_path", metrics: ["missing_values", "duplicates", "outliers", "consistency"] },
    "quality_report",
    ["llm"],
    180
  ),
  data_cleaning_stage: compute(
    "Clean Data",
    {
      data_path: "$ctx.data_path",
      operations: ["handle_missing", "remove_duplicates", "handle_outliers", "normalize_types"]
    },
    "cleaned_data",
    ["llm"],
    600
  ),
  approval_stage: {
    ...hitl("approval", "Request Approval", "Approval needed.\n\nSummary: {summary}\nDetails: {details}\n\nApprove?", [
      "summary",
      "details"
    ]),
    timeout: 900
  },
  input_stage: hitl("input", "Request Input", "Your input is needed.\n\n{prompt_text}\n\nContext: {context}", [
    "prompt_text",
    "context"
  ]),
  choice_stage: hitl("choice", "Request Choice", "Please choose.\n\n{prompt_text}\n\nOptions: {options}", [
    "prompt_text",
    "options"
  ]),
  check_success_stage: {
    type: "condition",
    name: "Check Success",
    condition: "status == 'success'",
    branches: { true: "continue", false: "handle_error" }
  },
  check_errors_stage: {
    type: "condition",
    name: "Check for Errors",
    condition: "error_count > 0",
    branches: { true: "handle_error", false: "continue" }
  },
  complete_stage: {
    type: "transform",
    name: "Complete",
    // Victor's reads `final_results` bare, which fails when no node set it; `.get` makes it null instead.
    transform: "status = \"completed\"\nend_time = current_timestamp()\noutput = $ctx.get(\"final_results\")\n"
  }
}

/** The names of a set of stage templates, sorted, for messages that list what is known. */
export const names = (templates: StageTemplates): ReadonlyArray<string> => Object.keys(templates).sort()
