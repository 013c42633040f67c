/**
 * The `word_count` tool: counts the words, lines and characters of a text. A tool is a plain object with a `name`,
 * a `description` and `run(inputs)`, an Effect of JSON outputs (`ToolRegistry.Tool`); every call a node makes is a
 * traced tool call, with these inputs and outputs.
 */
import type { JsonObject } from "@victor/core/Json"
import * as ToolRegistry from "@victor/workflow/ToolRegistry"
import * as Effect from "effect/Effect"

/** What `word_count` says about a text. */
export const count = (text: string): JsonObject => ({
  words: text.split(/\s+/).filter((word) => word.length > 0).length,
  lines: text === "" ? 0 : text.split(/\r?\n/).length,
  characters: Array.from(text).length
})

/** The tool: `{ text }` in, `{ words, lines, characters }` out; a `text` that is not a string is invalid input. */
export const make = (): ToolRegistry.Tool => ({
  name: "word_count",
  description: "Counts the words, lines and characters of `text`.",
  inputSchema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  run: (inputs) => {
    const text = inputs["text"]
    return typeof text === "string"
      ? Effect.succeed(count(text))
      : Effect.fail(
        new ToolRegistry.ToolError({
          reason: "InvalidInput",
          tool: "word_count",
          description: `word_count: \`text\` must be a string, not ${text === null ? "null" : typeof text}`
        })
      )
  }
})
