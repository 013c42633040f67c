/**
 * The JSON-schema parameters a model is shown for each tool. A `ToolRegistry` tool carries a name and a description
 * only, so the built-in tools' inputs are described here (they match the Schemas the tools decode their inputs with);
 * any other tool is offered as taking an open object, and its own decoding reports bad inputs back to the model.
 */
import type { JsonObject } from "@victor/core/Json"

const string = (description: string): JsonObject => ({ type: "string", description })

/** Parameters of the built-in tools, by name. */
export const builtin: Readonly<Record<string, JsonObject>> = {
  shell: {
    type: "object",
    properties: {
      command: string("The command, run with sh -c"),
      cwd: string("Working directory (default: the current one)"),
      timeout: { type: "number", description: "Seconds before the command is stopped" }
    },
    required: ["command"],
    additionalProperties: false
  },
  read: {
    type: "object",
    properties: { path: string("The file to read") },
    required: ["path"],
    additionalProperties: false
  },
  write: {
    type: "object",
    properties: { path: string("The file to write"), content: string("The text to write") },
    required: ["path", "content"],
    additionalProperties: false
  },
  grep: {
    type: "object",
    properties: {
      pattern: string("A regular expression"),
      path: string("File or directory to search (default: .)"),
      glob: string("Only files whose name matches this glob, e.g. *.ts"),
      ignore_case: { type: "boolean" },
      max_matches: { type: "integer", minimum: 1 }
    },
    required: ["pattern"],
    additionalProperties: false
  },
  ls: {
    type: "object",
    properties: { path: string("The directory to list (default: .)") },
    additionalProperties: false
  }
}

/** The parameters of any tool that is not built in. */
export const open: JsonObject = { type: "object", properties: {}, additionalProperties: true }

/** The JSON-schema parameters of a tool. */
export const forTool = (name: string): JsonObject => (Object.hasOwn(builtin, name) ? builtin[name]! : open)
