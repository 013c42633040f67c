/**
 * How `victor` stops when it is asked to. SIGINT (Ctrl-C), SIGTERM and SIGHUP (the terminal went away) each interrupt
 * the running command once. A workflow run then ends as `cancelled`: the process groups of its running tools are
 * ended (children and grandchildren), the trace is stored, the summary is printed and a requested `-o` export is
 * written. `victor` then exits with 128 + the signal's number, as a shell reports a process that signal ended: 130
 * for SIGINT, 143 for SIGTERM, 129 for SIGHUP.
 *
 * Every further signal while that happens is ignored (one note on stderr says so): a second Ctrl-C must not cut the
 * final save short, which would leave the run's journal to be recovered later as `incomplete` instead of `cancelled`.
 * Only SIGKILL stops `victor` at once; what it leaves is the journal, which the next command that reads the store
 * recovers as `incomplete`.
 *
 * This replaces `NodeRuntime.runMain`, which handles only SIGINT and SIGTERM (a SIGHUP killed `victor` outright,
 * leaving its tools running) and lets a second signal kill the process during the save.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { constants } from "node:os"

/** The signals that cancel a command. */
export const handled = ["SIGINT", "SIGTERM", "SIGHUP"] as const

/** One of the signals that cancel a command. */
export type Handled = (typeof handled)[number]

/** The exit code after a signal: 128 + its number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP). */
export const exitCode = (signal: Handled): number => 128 + constants.signals[signal]

/**
 * Runs `program` as the process: its value is the exit code, and the process exits with it (or with `exitCode` of
 * the signal that interrupted it; `internalCode` if it ended some other way, which its type rules out).
 */
export const runMain = (program: Effect.Effect<number>, internalCode: number): void => {
  const fiber = Effect.runFork(program)
  let received: Handled | undefined
  let noted = false
  const onSignal = (signal: Handled) => {
    if (received === undefined) {
      received = signal
      // After a hang-up the terminal is gone: writing to it fails, and that must not crash the final save.
      if (signal === "SIGHUP") {
        process.stdout.on("error", () => {})
        process.stderr.on("error", () => {})
      }
      fiber.unsafeInterruptAsFork(fiber.id())
      return
    }
    if (!noted) {
      noted = true
      process.stderr.write(
        `victor: ${signal} ignored: still stopping (storing the trace as cancelled); a SIGKILL would leave it to be ` +
          "recovered as incomplete\n"
      )
    }
  }
  const listeners = handled.map((signal) => [signal, () => onSignal(signal)] as const)
  for (const [signal, listener] of listeners) process.on(signal, listener)
  // The event loop may have nothing else to wait for while the program waits on a fiber.
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
  fiber.addObserver((exit) => {
    clearInterval(keepAlive)
    // After a signal they stay: one more, between here and the exit, must not kill the process instead.
    if (received === undefined) for (const [signal, listener] of listeners) process.removeListener(signal, listener)
    const code = received !== undefined
      ? exitCode(received)
      : Exit.isSuccess(exit)
      ? exit.value
      : internalCode
    // Leftover handles (a tool's stdin, a socket) must not keep a stopped or failed command alive; a successful one
    // ends when its output is flushed.
    if (received !== undefined || code !== 0) process.exit(code)
  })
}
