/**
 * Where `hitl` nodes get their answers on the command line: answers given up front in `--context` (`{"hitl": {"<node>":
 * answer}}`) win; then, on a terminal, a person is asked; otherwise `--yes` answers approvals with yes and the rest
 * with their defaults; otherwise there is no answer and the node's `fallback` applies. The live progress line is paused
 * while a question is on screen. What the question shows (prompt, context, choices, errors) is escaped for the terminal
 * (`TerminalText`): it comes from the workflow and its state.
 */
import * as HumanInput from "@victor/workflow/HumanInput"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as readline from "node:readline"
import * as TerminalText from "./TerminalText.ts"

/** How the run may answer. */
export interface Options {
  /** Answers by node id, from `--context`'s `hitl` key. */
  readonly answers: Readonly<Record<string, unknown>>
  /** `--yes`: answer approvals with yes and the rest with defaults, never asking. */
  readonly yes: boolean
  /** Whether a person can be asked (stdin and stderr are terminals). */
  readonly interactive: boolean
  /** Called around a question, to pause and resume the live view. */
  readonly pause?: () => void
  readonly resume?: () => void
}

const describe = (request: HumanInput.HitlRequest): string => {
  const line = TerminalText.escapeLine
  const lines = [`\n? ${TerminalText.escape(request.prompt)}`]
  for (const [key, value] of Object.entries(request.context)) {
    lines.push(`  ${line(key)}: ${line(String(JSON.stringify(value)))}`)
  }
  request.choices.forEach((choice, i) => lines.push(`  ${i + 1}) ${line(choice)}`))
  const isApproval = request.hitlType === "approval" || request.hitlType === "confirmation"
  const fallback = request.defaultValue === undefined ? "" : ` [${line(String(request.defaultValue))}]`
  lines.push(isApproval ? `  (y/n)${fallback} ` : request.choices.length > 0 ? `  number or name${fallback}: ` : `  ${fallback}> `)
  return lines.join("\n")
}

// A choice may be answered by its number.
const interpret = (request: HumanInput.HitlRequest, text: string): unknown => {
  const trimmed = text.trim()
  if (trimmed === "" && request.defaultValue !== undefined) return request.defaultValue
  const index = Number(trimmed)
  if (request.choices.length > 0 && Number.isInteger(index) && index >= 1 && index <= request.choices.length) {
    return request.choices[index - 1]
  }
  return trimmed
}

/** A terminal conversation: every line typed is queued, so lines typed ahead (or pasted at once) are never lost. */
interface Conversation {
  readonly rl: readline.Interface
  readonly lines: Queue.Queue<string>
}

const question = ({ lines, rl }: Conversation, text: string): Effect.Effect<string> =>
  Effect.zipRight(
    Effect.sync(() => {
      rl.setPrompt(text)
      rl.prompt()
    }),
    Queue.take(lines)
  )

/**
 * Asks on the terminal until the answer is valid for the request; the live view is paused meanwhile. A timeout (or
 * Ctrl-C) interrupts the question and closes the conversation.
 */
const askPerson = (options: Options) => (request: HumanInput.HitlRequest): Effect.Effect<HumanInput.HitlAnswer> => {
  const ask = (conversation: Conversation, hint: string): Effect.Effect<HumanInput.HitlAnswer> =>
    Effect.flatMap(question(conversation, `${hint}${describe(request)}`), (text) =>
      Either.match(HumanInput.validateAnswer(request, interpret(request, text)), {
        onLeft: (error) => ask(conversation, `  ${TerminalText.escapeLine(error.message)}\n`),
        onRight: Effect.succeed
      }))
  return Effect.acquireUseRelease(
    Effect.map(Queue.unbounded<string>(), (lines): Conversation => {
      options.pause?.()
      const rl = readline.createInterface({ input: process.stdin, output: process.stderr, terminal: true })
      rl.on("line", (line) => Queue.unsafeOffer(lines, line))
      return { rl, lines }
    }),
    (conversation) => ask(conversation, ""),
    ({ rl }) =>
      Effect.sync(() => {
        rl.close()
        options.resume?.()
      })
  )
}

/** The HumanInput of a CLI run. */
export const layer = (options: Options): Layer.Layer<HumanInput.HumanInput> => {
  const upFront = HumanInput.makeAnswers(options.answers, { yes: options.yes })
  const person = askPerson(options)
  return Layer.succeed(HumanInput.HumanInput, {
    ask: (request) =>
      Object.hasOwn(options.answers, request.nodeId) || !options.interactive || options.yes
        ? upFront.ask(request)
        : person(request)
  })
}
