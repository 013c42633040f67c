/**
 * `victor ... --help`: a command's help page, read from @effect/cli's own help of the command (its `HelpDoc`) and laid
 * out for a person: the full usage line (`victor workflow trace <workflow.yaml> [options]`, where @effect/cli prints
 * `$ trace ...` with every option), the description, each argument and option with its own description (without the
 * type boilerplate @effect/cli puts first, such as "A user-defined piece of text."), and the commands below it.
 *
 * @effect/cli colours its help even when piped or with NO_COLOR; this page is plain text unless stdout is a terminal
 * and NO_COLOR is unset (then headings and names are bold). On a terminal it is wrapped to the window; piped, each
 * paragraph stays one line, for grep. The same model of a command (`page`) gives parse errors their option names and
 * examples (`ArgumentErrors`).
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Descriptor from "@effect/cli/CommandDescriptor"
import type * as HelpDoc from "@effect/cli/HelpDoc"
import type * as Span from "@effect/cli/HelpDoc/Span"

/** A command of the tree and its subcommands. */
export interface Tree {
  readonly name: string
  readonly descriptor: Descriptor.Command<unknown>
  readonly children: ReadonlyArray<Tree>
}

/** A node of the command tree: the command (anything with a descriptor, such as a `Command`) and its subcommands. */
export const tree = (
  command: { readonly descriptor: Descriptor.Command<unknown> },
  children: ReadonlyArray<Tree> = []
): Tree => ({
  name: Array.from(Descriptor.getNames(command.descriptor))[0] ?? "",
  descriptor: command.descriptor,
  children
})

/** One argument or option of a command. */
export interface Entry {
  /** An option's names, short first (`-o`, `--output`); an argument's name in brackets (`<workflow.yaml>`). */
  readonly names: ReadonlyArray<string>
  /** What an option takes (`text`, `integer`, `full | preview | none`), or nothing for a flag and an argument. */
  readonly value: string | undefined
  readonly optional: boolean
  /** Whether it may be given more than once: at least `min` times, at most `max` (no limit when undefined). */
  readonly repeated: boolean
  readonly min: number
  readonly max: number | undefined
  /** Paragraphs. */
  readonly description: ReadonlyArray<string>
}

/** What the help of one command says. */
export interface Page {
  /** The command's full name: `["victor", "workflow", "trace"]`. */
  readonly path: ReadonlyArray<string>
  readonly description: ReadonlyArray<string>
  readonly args: ReadonlyArray<Entry>
  readonly options: ReadonlyArray<Entry>
  /** The commands below it (their path below this one) with the first sentence of their description. */
  readonly commands: ReadonlyArray<readonly [string, string]>
}

/** The command a command line names (as far as its words name commands) and its path. */
export const locate = (
  root: Tree,
  args: ReadonlyArray<string>
): { readonly node: Tree; readonly path: ReadonlyArray<string>; readonly unknown?: string } => {
  let node = root
  const path = [root.name]
  for (const arg of args) {
    if (arg === "--" || node.children.length === 0) break
    const child = node.children.find((c) => c.name === arg)
    if (child !== undefined) {
      node = child
      path.push(arg)
    } else if (!arg.startsWith("-")) {
      return { node, path, unknown: arg }
    }
  }
  return { node, path }
}

// Without the built-in options: they are described here, once, in our words.
const config = CliConfig.make({ showBuiltIns: false })

/** The help of a command of the tree, whose full name is `path` (see `locate`). */
export const page = (node: Tree, path: ReadonlyArray<string>): Page => {
  const sections = new Map<string, Array<HelpDoc.HelpDoc>>()
  let section = ""
  for (const block of blocks(Descriptor.getHelp(node.descriptor, config))) {
    if (block._tag === "Header") section = spanText(block.value)
    else sections.set(section, [...(sections.get(section) ?? []), block])
  }
  const entries = (name: string, isOption: boolean): Array<Entry> =>
    (sections.get(name) ?? []).flatMap((block) =>
      block._tag === "DescriptionList"
        ? block.definitions.map(([term, doc]) => entry(spanText(term), paragraphs(doc), isOption))
        : []
    )
  return {
    path,
    description: (sections.get("DESCRIPTION") ?? []).flatMap(paragraphs),
    args: entries("ARGUMENTS", false),
    options: entries("OPTIONS", true),
    commands: commandsOf(node, path.length === 1).map(([name, command]) => [name, summary(command)] as const)
  }
}

/** The usage line: `victor workflow trace <workflow.yaml> [options]`, `victor trace <command>`. */
export const usage = (help: Page): string => {
  const parts = [...help.path]
  if (help.commands.length > 0) parts.push("<command>")
  for (const arg of help.args) parts.push(argumentTerm(arg))
  for (const option of help.options) {
    if (!option.optional) parts.push(`${option.names[option.names.length - 1]}${placeholder(option)}`)
  }
  if (help.options.some((option) => option.optional)) parts.push("[options]")
  return parts.join(" ")
}

/** How the page is printed: bold headings and names (a colour terminal), and the width to wrap to. */
export interface Style {
  readonly bold: boolean
  readonly width: number | undefined
}

/**
 * The style for a stream: bold only on a terminal with NO_COLOR unset (or empty) and a TERM other than `dumb`;
 * wrapped to the terminal's width (at most 100 columns), never when piped.
 */
export const styleFor = (
  stream: { readonly isTTY?: boolean; readonly columns?: number },
  env: Readonly<Record<string, string | undefined>>
): Style => {
  const terminal = stream.isTTY === true
  return {
    bold: terminal && (env["NO_COLOR"] ?? "") === "" && env["TERM"] !== "dumb",
    width: terminal ? Math.min(stream.columns ?? 80, 100) : undefined
  }
}

/** Plain text, nothing else. */
export const plain: Style = { bold: false, width: undefined }

/** The help text of a command. */
export const render = (help: Page, style: Style = plain): string => {
  const strong = (text: string) => (style.bold ? `\u001b[1m${text}\u001b[0m` : text)
  const lines: Array<string> = [`${strong("Usage:")} ${usage(help)}`, ""]
  for (const paragraph of help.description) lines.push(...wrap(paragraph, 0, style.width), "")
  const list = (title: string, items: ReadonlyArray<readonly [string, ReadonlyArray<string>]>) => {
    if (items.length === 0) return
    lines.push(strong(title))
    for (const [term, description] of items) {
      lines.push(`  ${strong(term)}`)
      for (const paragraph of description) lines.push(...wrap(paragraph, 6, style.width))
    }
    lines.push("")
  }
  list("Arguments:", help.args.map((arg) => [argumentTerm(arg), arg.description]))
  const isRoot = help.path.length === 1
  list("Options:", [
    ...help.options.map((option) =>
      [`${option.names.join(", ")}${placeholder(option)}${option.repeated ? "..." : ""}`, option.description] as const
    ),
    ["-h, --help", ["Show this help."]],
    ...(isRoot
      ? [
        ["--version", ["Print the version of victor."]],
        ["--completions <sh|bash|fish|zsh>", [
          "Print a completion script for the shell. Example: victor --completions bash > ~/.victor-completion.bash"
        ]]
      ] as const
      : [])
  ])
  if (help.commands.length > 0) {
    const width = Math.max(...help.commands.map(([name]) => name.length))
    lines.push(strong("Commands:"))
    for (const [name, text] of help.commands) {
      const [first = "", ...rest] = wrap(text, width + 4, style.width)
      lines.push(`  ${strong(name.padEnd(width))}  ${first.trimStart()}`, ...rest)
    }
    lines.push("", `Run '${help.path.join(" ")} <command> --help' for the arguments and options of a command.`, "")
  }
  return lines.join("\n").trimEnd()
}

/** An argument as the usage line shows it: `<file>`, `[<trace>]`, `<trace>...`, `<trace> [<trace>]`. */
export const argumentTerm = (arg: Entry): string => {
  const name = arg.names[0] ?? ""
  if (!arg.repeated) return arg.optional ? `[${name}]` : name
  if (arg.max === undefined) return arg.min === 0 ? `[${name}...]` : `${name}...`
  return [...Array(arg.min).fill(name), ...Array(arg.max - arg.min).fill(`[${name}]`)].join(" ")
}

/**
 * An option's value as shown after its names: ` <text>`, ` <n>`, ` <full|preview|none>`, ` [URL]` (a value that may be
 * left out, named so with `Options.withPseudoName("[URL]")`), or nothing.
 */
export const placeholder = (option: Entry): string =>
  option.value === undefined
    ? ""
    : /^\[.*\]$/.test(option.value)
    ? ` ${option.value}`
    : option.value === "integer"
    ? " <n>"
    : ` <${option.value.replace(/ \| /g, "|")}>`

// The HelpDoc as a flat list of blocks (sequences opened up).
const blocks = (doc: HelpDoc.HelpDoc): Array<HelpDoc.HelpDoc> =>
  doc._tag === "Sequence"
    ? [...blocks(doc.left), ...blocks(doc.right)]
    : doc._tag === "Empty"
    ? []
    : doc._tag === "Enumeration"
    ? doc.elements.flatMap(blocks)
    : [doc]

const paragraphs = (doc: HelpDoc.HelpDoc): Array<string> =>
  blocks(doc).flatMap((block) => (block._tag === "Paragraph" ? [spanText(block.value)] : []))

/** The text of a help document, without styles. */
export const docText = (doc: HelpDoc.HelpDoc): string => {
  switch (doc._tag) {
    case "Empty":
      return ""
    case "Header":
    case "Paragraph":
      return spanText(doc.value)
    case "DescriptionList":
      return doc.definitions.map(([term, body]) => `${spanText(term)} ${docText(body)}`).join(" ")
    case "Enumeration":
      return doc.elements.map(docText).join(" ")
    case "Sequence":
      return `${docText(doc.left)} ${docText(doc.right)}`
  }
}

const spanText = (span: Span.Span): string =>
  span._tag === "Text" || span._tag === "URI"
    ? span.value
    : span._tag === "Sequence"
    ? spanText(span.left) + spanText(span.right)
    : spanText(span.value)

const optionalText = /^This setting is optional\.(?: Defaults to: (.*))?$/
const repeatedText = /^This (?:option|argument) (?:may|must) be repeated /

// One entry of @effect/cli's argument or option list. Its first paragraph is the type's help ("A user-defined
// piece of text.", "An integer.", "One of the following: ..."), then come the description and notes about being
// optional or repeated; the type's help is kept only when there is no description (the tests make sure there is).
const entry = (term: string, texts: ReadonlyArray<string>, isOption: boolean): Entry => {
  let optional = false
  let repeated = false
  const description: Array<string> = []
  for (const text of texts.slice(1)) {
    const isOptional = optionalText.exec(text)
    if (isOptional !== null) {
      optional = true
      if (isOptional[1] !== undefined) description.push(`Default: ${isOptional[1]}`)
    } else if (repeatedText.test(text)) {
      repeated = true
    } else {
      description.push(text)
    }
  }
  if (description.length === 0 && texts[0] !== undefined) description.push(texts[0])
  // The count @effect/cli appends: `...` (any number), ` 1+` (at least one), ` 1 - 2` (one or two).
  let rest = term.trim()
  let min = 0
  let max: number | undefined = 1
  const count = /(?:\.\.\.| (\d+)\+| (\d+) - (\d+))$/.exec(rest)
  if (count !== null) {
    repeated = true
    min = Number(count[1] ?? count[2] ?? 0)
    max = count[3] === undefined ? undefined : Number(count[3])
    rest = rest.slice(0, count.index)
  } else if (!optional) {
    min = 1
  }
  if (!isOption) return { names: [rest], value: undefined, optional, repeated, min, max, description }
  // `(-o, --output text)`, `--capture full | preview | none`, `(-y, --yes)`, `--full`.
  if (rest.startsWith("(") && rest.endsWith(")")) rest = rest.slice(1, -1)
  const match = /^(-{1,2}[^\s,]+(?:, -{1,2}[^\s,]+)*)(?: (.+))?$/.exec(rest)
  const names = match === null ? [rest] : match[1]!.split(", ")
  const value = match?.[2]?.trim()
  return {
    names,
    value: value === undefined || value === "" ? undefined : value,
    optional: optional || min === 0,
    repeated,
    min,
    max,
    description
  }
}

// The commands a page lists: the root lists every command (`workflow trace`, `trace list`, ...), a group its own.
const commandsOf = (node: Tree, isRoot: boolean): Array<readonly [string, Tree]> =>
  isRoot ? leaves(node, []) : node.children.map((child) => [child.name, child] as const)

const leaves = (node: Tree, prefix: ReadonlyArray<string>): Array<readonly [string, Tree]> =>
  node.children.flatMap((child) =>
    child.children.length === 0
      ? [[[...prefix, child.name].join(" "), child] as const]
      : leaves(child, [...prefix, child.name])
  )

// The first sentence of a command's description; a long one up to its first colon or semicolon.
const summary = (node: Tree): string => {
  const text = page({ ...node, children: [] }, [node.name]).description[0] ?? ""
  const end = text.search(/\. /)
  const sentence = end === -1 ? text : text.slice(0, end + 1)
  const clause = sentence.search(/[:;] /)
  return sentence.length > 100 && clause !== -1 ? `${sentence.slice(0, clause)}.` : sentence
}

// A paragraph as lines of at most `width` columns, indented; one line when there is no width.
const wrap = (text: string, indent: number, width: number | undefined): Array<string> => {
  const pad = " ".repeat(indent)
  if (width === undefined || indent + text.length <= width) return [pad + text]
  const lines: Array<string> = []
  let line = ""
  for (const word of text.split(" ")) {
    if (line !== "" && indent + line.length + 1 + word.length > width) {
      lines.push(pad + line)
      line = word
    } else {
      line = line === "" ? word : `${line} ${word}`
    }
  }
  if (line !== "") lines.push(pad + line)
  return lines
}
