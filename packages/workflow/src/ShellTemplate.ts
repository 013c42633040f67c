/**
 * Shell templates: the `command` of the `shell` tool is code its author wrote, and the values placed into it from
 * state (a `--context` value, a model's answer, a tool's output) are data. Each value is quoted for the place it
 * stands in, so that the command the author wrote is the only code that runs:
 * - a command word (`echo {title}`): one single-quoted word, `'...'` with each `'` written `'\''`;
 * - inside double quotes (`echo "{title}"`): `\`, `"`, `$` and `` ` `` backslash-escaped, the value kept exactly;
 * - inside single quotes (`echo '{title}'`): each `'` written `'\''`, the value kept exactly;
 * - a here-document body: as it is (`<<'EOF'`) or with `\`, `$` and `` ` `` escaped (`<<EOF`); a value that would
 *   write the document's closing line is refused;
 * - a comment: its line breaks become spaces, so that it stays a comment.
 * Inside backticks no quoting is safe (they are un-escaped before the shell reads them), so a value there is refused:
 * write `$(...)` instead. A value with a NUL byte is refused (no shell string can hold one).
 *
 * To hand a value to a program in another way, pass it in the tool's `env` input and write `"$NAME"` in the
 * command; there is no way for a value to become code unless the command the author wrote runs it as code
 * (`sh -c "$SCRIPT"`).
 */
import * as Either from "effect/Either"
import * as Schema from "effect/Schema"
import type { JsonObject } from "@victor/core/Json"
import { type Place, ShellLexer } from "./internal/shellLexer.ts"
import * as Template from "./Template.ts"

export type { Place } from "./internal/shellLexer.ts"

/** Why a value could not be placed into a shell command. */
export const ShellTemplateErrorReason = Schema.Literal("Backticks", "HereDocument", "NulByte")

/** A value could not be placed into a shell command safely. */
export class ShellTemplateError extends Schema.TaggedError<ShellTemplateError>()("ShellTemplateError", {
  reason: ShellTemplateErrorReason,
  description: Schema.String
}) {
  override get message(): string {
    return this.description
  }
}

const singleQuoted = (value: string) => value.replaceAll("'", "'\\''")

/** A value's text written for a place in shell code (see the module comment). */
export const quote = (value: string, place: Place): string => {
  switch (place._tag) {
    case "Word":
      return `'${singleQuoted(value)}'`
    case "SingleQuoted":
      return singleQuoted(value)
    case "DoubleQuoted":
      return value.replace(/[\\"$`]/g, "\\$&")
    case "HereDocument":
      return place.expands ? value.replace(/[\\$`]/g, "\\$&") : value
    case "Comment":
      return value.replace(/[\r\n]/g, " ")
    case "Backticks":
      // Never reached through `render`, which refuses values inside backticks.
      return `'${singleQuoted(value)}'`
  }
}

/** Renders a shell command template against state, each value quoted for where it stands. */
export const render = (template: string, state: JsonObject): Either.Either<string, ShellTemplateError> => {
  const lexer = new ShellLexer()
  let position = 0
  let error: ShellTemplateError | undefined
  const rendered = Template.renderWith(template, state, (text, offset, length) => {
    lexer.advance(template.slice(position, offset))
    position = offset + length
    if (error !== undefined) return ""
    if (text.includes("\u0000")) {
      error = new ShellTemplateError({ reason: "NulByte", description: "a value holds a NUL byte, which no shell command can carry" })
      return ""
    }
    if (lexer.insideBackticks()) {
      error = new ShellTemplateError({
        reason: "Backticks",
        description: `${template.slice(offset, offset + length)} stands inside backticks, where no value can be ` +
          "quoted safely; write $(...) instead of `...`"
      })
      return ""
    }
    const quoted = quote(text, lexer.place())
    lexer.passValue(text)
    return quoted
  })
  lexer.advance(template.slice(position))
  if (error === undefined && lexer.problem !== undefined) {
    error = new ShellTemplateError({
      reason: "HereDocument",
      description: `${lexer.problem}; pass the value in the tool's env input and write "$NAME" instead`
    })
  }
  return error === undefined ? Either.right(rendered) : Either.left(error)
}

/** Where each placeholder of a shell command template stands, for checks that run before any value exists. */
export const places = (
  template: string
): Array<{ readonly placeholder: string; readonly key: string; readonly place: Place; readonly backticks: boolean }> => {
  const lexer = new ShellLexer()
  let position = 0
  return Template.placeholders(template).map(({ key, length, offset }) => {
    lexer.advance(template.slice(position, offset))
    position = offset + length
    const found = {
      placeholder: template.slice(offset, offset + length),
      key,
      place: lexer.place(),
      backticks: lexer.insideBackticks()
    }
    lexer.passValue("x")
    return found
  })
}

/**
 * What an author should know about a shell command template: a value inside backticks is an error (it cannot be
 * quoted), and a value standing as a command word is a warning, because before values were data it was pasted in
 * unquoted (so `ls {files}` gave several arguments, and a value could run as code); it is one quoted word now.
 */
export const check = (
  template: string
): ReadonlyArray<{ readonly severity: "error" | "warning"; readonly description: string }> =>
  places(template).flatMap(({ backticks, place, placeholder }): ReadonlyArray<{
    readonly severity: "error" | "warning"
    readonly description: string
  }> =>
    backticks
      ? [{
        severity: "error" as const,
        description: `shell command: ${placeholder} stands inside backticks, where no value can be quoted safely; ` +
          "write $(...) instead"
      }]
      : place._tag === "Word"
      ? [{
        severity: "warning" as const,
        description: `shell command: the value of ${placeholder} is passed as one quoted word, never as shell code ` +
          `(it used to be pasted in unquoted); write "${placeholder}" to say so, or, to run a value as a command on ` +
          `purpose, pass it in env (env: { CMD: ${placeholder} }) and write eval "$CMD"`
      }]
      : []
  )
