/**
 * What was wrong with a command line, as one line that names the command and the option and says how to fix it:
 * `-o needs a value, e.g. -o trace.json`, `unknown command 'lst' for 'victor trace'; did you mean 'list'?`,
 * `--concurrency needs a whole number, not 'abc'; e.g. --concurrency 8`. @effect/cli's own messages name neither the
 * command ("Invalid subcommand for victor") nor the option ("Received unknown argument: '-o'"), so the command line
 * is read again here, against the command tree's help (`Help.page`), to find what they are about; a message this
 * does not recognise is kept, made one line, with a pointer to the command's help.
 */
import * as AutoCorrect from "@effect/cli/AutoCorrect"
import * as CliConfig from "@effect/cli/CliConfig"
import type * as ValidationError from "@effect/cli/ValidationError"
import * as Help from "./Help.ts"
import * as TerminalText from "./TerminalText.ts"

/** The nearest of `candidates` to a mistyped `word` (a typo or a prefix), if one is near enough. */
export const nearest = (word: string, candidates: ReadonlyArray<string>): string | undefined => {
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const distance = word.length >= 2 && candidate.startsWith(word)
      ? 1
      : AutoCorrect.levensteinDistance(word, candidate, CliConfig.defaultConfig)
    if (distance < bestDistance && distance <= Math.max(1, Math.min(2, Math.floor(candidate.length / 3)))) {
      best = candidate
      bestDistance = distance
    }
  }
  return best
}

/**
 * What parsing would get wrong, found before it: an option that takes a value given without one, last on the line
 * (`-o`; a command's argument would otherwise take `-o` as its value) or followed by another option (`-o --json`).
 */
export const precheck = (root: Help.Tree, args: ReadonlyArray<string>): string | undefined => {
  if (args.includes("--help") || args.includes("-h")) return undefined
  const { node, path, unknown } = Help.locate(root, args)
  if (unknown !== undefined || node.children.length > 0) return undefined
  const end = args.indexOf("--")
  const words = end === -1 ? args : args.slice(0, end)
  // Every option's name starts with `-`: a line without such a word has none to check (and skips building the page).
  if (!words.some((word) => word.startsWith("-"))) return undefined
  const options = Help.page(node, path).options
  const optionNamed = (name: string) => options.find((option) => option.names.includes(name))
  for (let i = 0; i < words.length; i++) {
    const option = optionNamed(words[i]!)
    if (option === undefined || option.value === undefined) continue
    const next = words[i + 1]
    if (next === undefined || optionNamed(next.split("=", 1)[0]!) !== undefined) return needsValue(words[i]!, option)
    i++
  }
  return undefined
}

/** Why @effect/cli did not run a command: its error, or an argument it left over. */
export type Problem =
  | { readonly _tag: "Error"; readonly error: ValidationError.ValidationError }
  | { readonly _tag: "Leftover"; readonly argument: string }

/** The one line (without the `victor: ` prefix) for a command line that could not be parsed. */
export const describe = (root: Help.Tree, line: ReadonlyArray<string>, problem: Problem): string => {
  // The words are quoted back: a control character in one shows escaped, and a line break cannot start a new line.
  const args = line.map(TerminalText.escapeLine)
  const { node, path, unknown } = Help.locate(root, args)
  const command = path.join(" ")
  const seeHelp = `see '${command} --help'`
  if (unknown !== undefined) return unknownCommand(node, command, unknown)
  const help = Help.page(node, path)
  const rest = args.slice(path.length - 1)
  if (node.children.length > 0) {
    // A group runs no command of its own: whatever is wrong, it is in the words after it.
    const option = rest.find((arg) => arg.startsWith("-") && !builtIns.has(arg.split("=")[0]!))
    return option === undefined
      ? `${command}: ${text(problem)} (${seeHelp})`
      : `unknown option '${option}' for '${command}'; give a command first, one of ${listOf(node)} (${seeHelp})`
  }
  const options = help.options
  const optionNamed = (name: string) => options.find((option) => option.names.includes(name))
  if (problem._tag === "Leftover") {
    const argument = TerminalText.escapeLine(problem.argument)
    const [name = argument] = argument.split("=", 1)
    const option = optionNamed(name)
    if (option !== undefined && option.value !== undefined && !argument.includes("=")) {
      return needsValue(name, option)
    }
    if (argument.startsWith("-") && option === undefined) return unknownOption(help, command, argument)
    return `unexpected argument '${argument}' for '${command}'; usage: ${Help.usage(help)}`
  }
  const error = problem.error
  const message = text(problem)
  if (error._tag === "CorrectedFlag") {
    const flag = /'([^']+)' is not recognized/.exec(message)?.[1]
    if (flag !== undefined) return unknownOption(help, command, flag)
  }
  if (error._tag === "MissingValue") {
    const missing = /^Missing argument (<[^>]+>)/.exec(message)?.[1]
    if (missing !== undefined) return `'${command}' needs ${missing}; usage: ${Help.usage(help)}`
    const flag = /following option: '([^']+)'/.exec(message)?.[1]
    const option = flag === undefined ? undefined : optionNamed(flag)
    if (flag !== undefined && option !== undefined) return needsValue(flag, option)
  }
  if (error._tag === "MissingFlag") {
    const flag = /Expected to find option: '([^']+)'/.exec(message)?.[1]
    const option = flag === undefined ? undefined : optionNamed(flag)
    if (flag !== undefined && option !== undefined) {
      const example = exampleOf(flag, option)
      return `'${command}' needs ${flag}${example === undefined ? "" : `, e.g. ${example}`} (${seeHelp})`
    }
  }
  if (error._tag === "InvalidValue" || error._tag === "InvalidArgument") {
    const given = optionValues(rest, optionNamed)
    const culprit = given.find(({ option, value }) =>
      message.includes(`'${value}'`) ||
      (option.value !== undefined && option.value.includes(" | ") && message.includes(option.value.replace(/ \| /g, ", ")))
    )
    if (culprit !== undefined) return invalidValue(culprit.name, culprit.option, culprit.value, message)
  }
  return `${command}: ${message === "" ? "invalid arguments" : message} (${seeHelp})`
}

// The built-in options of every command.
const builtIns = new Set(["-h", "--help", "--version", "--wizard", "--completions", "--log-level"])

const listOf = (node: Help.Tree): string => node.children.map((child) => child.name).join(", ")

const unknownCommand = (node: Help.Tree, command: string, word: string): string => {
  const names = node.children.map((child) => child.name)
  const suggestion = nearest(word, names)
  return `unknown command '${word}' for '${command}'; ` +
    (suggestion === undefined ? `its commands are ${listOf(node)}` : `did you mean '${suggestion}'?`)
}

const unknownOption = (help: Help.Page, command: string, flag: string): string => {
  const [name = flag] = flag.split("=", 1)
  const names = [...help.options.flatMap((option) => option.names), "--help"]
  const suggestion = nearest(name, names.filter((n) => n.startsWith("--") === name.startsWith("--")))
  return `unknown option '${name}' for '${command}'; ` +
    (suggestion === undefined ? `see '${command} --help'` : `did you mean '${suggestion}'?`)
}

const needsValue = (name: string, option: Help.Entry): string => {
  const example = exampleOf(name, option)
  const what = option.value === "integer"
    ? "a whole number"
    : option.value !== undefined && option.value.includes(" | ")
    ? `one of ${option.value.replace(/ \| /g, ", ")}`
    : "a value"
  return `${name} needs ${what}${example === undefined ? "" : `, e.g. ${example}`}`
}

const invalidValue = (name: string, option: Help.Entry, value: string, message: string): string => {
  const example = exampleOf(name, option)
  const eg = example === undefined ? "" : `; e.g. ${example}`
  if (option.value === "integer") return `${name} needs a whole number, not '${value}'${eg}`
  if (option.value !== undefined && option.value.includes(" | ")) {
    const choices = option.value.split(" | ")
    const suggestion = nearest(value, choices)
    return `${name} is one of ${choices.join(", ")}, not '${value}'` +
      (suggestion === undefined ? "" : `; did you mean '${suggestion}'?`)
  }
  return `${name} ${value}: ${message}${eg}`
}

/** An example of the option with a value, from its description: `-o trace.json` in "Example: -o trace.json". */
const exampleOf = (name: string, option: Help.Entry): string | undefined => {
  const text = option.description.join(" ")
  for (const candidate of [name, ...option.names.filter((n) => n !== name)]) {
    const escaped = candidate.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&")
    const match = new RegExp(`(?:^|[\\s(])${escaped}[ =]('[^']*'|"[^"]*"|[^\\s,;)]+)`).exec(text)
    const value = match?.[1]?.replace(/\.$/, "")
    if (value !== undefined && value !== "" && !value.startsWith("-")) return `${candidate} ${value}`
  }
  return undefined
}

// The options given on the command line with their values (`--name value` and `--name=value`).
const optionValues = (
  args: ReadonlyArray<string>,
  optionNamed: (name: string) => Help.Entry | undefined
): Array<{ readonly name: string; readonly option: Help.Entry; readonly value: string }> => {
  const found: Array<{ readonly name: string; readonly option: Help.Entry; readonly value: string }> = []
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!
    if (!arg.startsWith("-")) continue
    const equals = arg.indexOf("=")
    const name = equals === -1 ? arg : arg.slice(0, equals)
    const option = optionNamed(name)
    if (option === undefined || option.value === undefined) continue
    const value = equals === -1 ? args[i + 1] : arg.slice(equals + 1)
    if (value !== undefined) found.push({ name, option, value })
  }
  return found
}

// @effect/cli's message, as one line.
const text = (problem: Problem): string =>
  problem._tag === "Leftover"
    ? `unexpected argument '${TerminalText.escapeLine(problem.argument)}'`
    : Help.docText(problem.error.error).replace(/\s+/g, " ").trim()
