/**
 * What `workflow trace` and `workflow run` load when a run starts (`Cli`): the command, with Effect's tracer recording
 * into the run's trace, so that a span made by a tool, a handler or a plugin lands under its node (`EffectSpans`).
 * One module, imported once: the bundle then splits the engine into fewer chunks, each a file to read and link.
 */
import * as EffectSpans from "@victor/core/EffectSpans"
import * as Effect from "effect/Effect"
import * as WorkflowTraceCommand from "./WorkflowTraceCommand.ts"

/** Runs the command (see `WorkflowTraceCommand.run`) with Victor's Effect tracer. */
export const run = (options: WorkflowTraceCommand.TraceCommandOptions) =>
  Effect.provide(WorkflowTraceCommand.run(options), EffectSpans.layer)
