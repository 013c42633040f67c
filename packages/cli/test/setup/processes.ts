// Waiting on processes in the CLI tests: a `victor` run, the servers and children it starts.
import { readFileSync } from "node:fs"

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Whether a process has ended: gone, or a zombie nobody has reaped yet (its parent died before it). */
export const isDead = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return true
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"))
  } catch {
    return true
  }
}

/** Polls `condition` every 50 ms for up to `timeoutMs`; whether it came true. */
export const waitFor = async (condition: () => boolean, timeoutMs: number): Promise<boolean> => {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (condition()) return true
    await sleep(50)
  }
  return condition()
}
