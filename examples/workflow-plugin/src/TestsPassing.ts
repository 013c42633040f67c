/**
 * The `tests_passing` condition (`condition: tests_passing`): reads the test results `test_runner` left in state
 * (under `test_results`) and says `passing` or `failing`, the branch the condition node takes.
 */
import type * as FunctionRegistry from "@victor/workflow/FunctionRegistry"

/** The state key the condition reads: give the `test_runner` node `output: test_results`. */
export const resultsKey = "test_results"

/** `passing` when tests ran and none failed, else `failing`. */
export const condition: FunctionRegistry.NamedCondition = (state) => {
  const results = state[resultsKey]
  if (typeof results !== "object" || results === null || Array.isArray(results)) return "failing"
  const { failed, total } = results as Record<string, unknown>
  return failed === 0 && typeof total === "number" && total > 0 ? "passing" : "failing"
}
