/**
 * The plugin module: what `victor.config.json` names (`{"plugins": ["victor-plugin-release-checks"]}`). Its default
 * export is a `FunctionRegistry` plugin; Victor imports the module before it reads a workflow, checks the shapes of
 * what it contributes, and installs them beside the built-in ones, so workflows may use them by name.
 */
import * as FunctionRegistry from "@victor/workflow/FunctionRegistry"
import * as ChecklistNode from "./ChecklistNode.ts"
import * as TestRunner from "./TestRunner.ts"
import * as TestsPassing from "./TestsPassing.ts"
import * as WordCount from "./WordCount.ts"

/**
 * `victor-plugin-release-checks`: the tool `word_count`, the handler `test_runner`, the condition `tests_passing` and
 * the node kind `checklist`.
 */
export default FunctionRegistry.plugin("victor-plugin-release-checks", {
  tools: [WordCount.make()],
  handlers: { test_runner: TestRunner.handler },
  conditions: { tests_passing: TestsPassing.condition },
  nodeKinds: [ChecklistNode.kind]
})
