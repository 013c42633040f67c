/**
 * Text that reaches a terminal shows as text. Workflow names, node ids, tool names, errors, previews and plugin text
 * are data: a raw `ESC ]0;` would retitle the terminal, `ESC [2J` clear it, a carriage return overwrite the line and
 * a bidi override (U+202E) reverse what follows. Every such character is replaced with a visible escape before it is
 * printed: C0 controls (except the line break and tab of multi-line text), DEL, C1 controls (U+0080–U+009F, among
 * them the one-byte CSI U+009B) and the bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
 *
 * The escapes are JSON's own: `\r`, `\n`, `\t` and `\u001b` style (never `\x1b` or `\0`), so escaping JSON text keeps
 * it valid and equal (JSON.stringify already escapes C0; a raw C1 or bidi character inside a string becomes the
 * `\u` escape of the same character). Backslashes are left alone: a Windows path stays readable, at the price of
 * `\u001b` typed literally looking like an escaped ESC. Escaping is idempotent.
 *
 * `escape` is for multi-line text (a CRLF line end counts as a line break), `escapeLine` for one line (ids, table
 * cells, the progress line). `withEscapedConsole` runs an effect with a Console that escapes every string it prints:
 * the CLI runs its command handlers with it as a second line of defence.
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"

// Everything a terminal may act on but a line break, a tab and a CRLF line end (kept as a line break).
const unsafeMultiLine = /\r\n|[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
const unsafeMultiLineAll = new RegExp(unsafeMultiLine.source, "g")
const unsafeLine = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/
const unsafeLineAll = new RegExp(unsafeLine.source, "g")

const named: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\r\n": "\n" }

const visible = (character: string): string =>
  named[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`

/** Multi-line text for a terminal: control and bidi characters escaped (`\u001b`, `\r`), line breaks and tabs kept. */
export const escape = (text: string): string =>
  unsafeMultiLine.test(text) ? text.replace(unsafeMultiLineAll, visible) : text

/** One line for a terminal: like `escape`, and line breaks and tabs are escaped too (`\n`, `\t`). */
export const escapeLine = (text: string): string => unsafeLine.test(text) ? text.replace(unsafeLineAll, visible) : text

const escapeArgs = (args: ReadonlyArray<unknown>): Array<unknown> =>
  args.map((arg) => (typeof arg === "string" ? escape(arg) : arg))

/** A Console that prints through `console`, with every string argument escaped (`escape`); other values as they are. */
export const makeConsole = (console: Console.Console): Console.Console => {
  const unsafe = console.unsafe
  const label = (text: string | undefined) => (text === undefined ? undefined : escapeLine(text))
  return {
    [Console.TypeId]: Console.TypeId,
    assert: (condition, ...args) => console.assert(condition, ...escapeArgs(args)),
    clear: console.clear,
    count: (text) => console.count(label(text)),
    countReset: (text) => console.countReset(label(text)),
    debug: (...args) => console.debug(...escapeArgs(args)),
    dir: (item, options) => console.dir(typeof item === "string" ? escape(item) : item, options),
    dirxml: (...args) => console.dirxml(...escapeArgs(args)),
    error: (...args) => console.error(...escapeArgs(args)),
    group: (options) => console.group(options === undefined ? options : { ...options, label: label(options.label) }),
    groupEnd: console.groupEnd,
    info: (...args) => console.info(...escapeArgs(args)),
    log: (...args) => console.log(...escapeArgs(args)),
    table: (data, properties) => console.table(data, properties),
    time: (text) => console.time(label(text)),
    timeEnd: (text) => console.timeEnd(label(text)),
    timeLog: (text, ...args) => console.timeLog(label(text), ...escapeArgs(args)),
    trace: (...args) => console.trace(...escapeArgs(args)),
    warn: (...args) => console.warn(...escapeArgs(args)),
    unsafe: {
      assert: (condition, ...args) => unsafe.assert(condition, ...escapeArgs(args)),
      clear: () => unsafe.clear(),
      count: (text) => unsafe.count(label(text)),
      countReset: (text) => unsafe.countReset(label(text)),
      debug: (...args) => unsafe.debug(...escapeArgs(args)),
      dir: (item, options) => unsafe.dir(typeof item === "string" ? escape(item) : item, options),
      dirxml: (...args) => unsafe.dirxml(...escapeArgs(args)),
      error: (...args) => unsafe.error(...escapeArgs(args)),
      group: (...args) => unsafe.group(...escapeArgs(args)),
      groupCollapsed: (...args) => unsafe.groupCollapsed(...escapeArgs(args)),
      groupEnd: () => unsafe.groupEnd(),
      info: (...args) => unsafe.info(...escapeArgs(args)),
      log: (...args) => unsafe.log(...escapeArgs(args)),
      table: (data, properties) => unsafe.table(data, properties),
      time: (text) => unsafe.time(label(text)),
      timeEnd: (text) => unsafe.timeEnd(label(text)),
      timeLog: (text, ...args) => unsafe.timeLog(label(text), ...escapeArgs(args)),
      trace: (...args) => unsafe.trace(...escapeArgs(args)),
      warn: (...args) => unsafe.warn(...escapeArgs(args))
    }
  }
}

/** Runs `effect` with the current Console replaced by one that escapes what it prints (`makeConsole`). */
export const withEscapedConsole = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Console.consoleWith((console) => Effect.withConsole(effect, makeConsole(console)))
