/**
 * `victor trace ...`: the commands over stored traces and trace files. The store commands (list, show, export, rm,
 * prune, push, sync) and the analysis commands (analyze, compare, stats) are defined in their own modules.
 */
import * as Command from "@effect/cli/Command"
import { analysisCommands } from "./AnalysisCommands.ts"
import { storeCommands } from "./StoreCommands.ts"

/** `victor trace`. */
export const traceGroup = Command.make("trace").pipe(
  Command.withDescription(
    "Work with stored traces and trace files: list, show, export, rm, prune, push, sync, analyze, compare, stats. " +
      "A trace is named by its id, a unique prefix of it, `last`, or a file path. Example: victor trace show last"
  ),
  Command.withSubcommands([...storeCommands, ...analysisCommands])
)
