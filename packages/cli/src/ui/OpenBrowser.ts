/**
 * Opens an address in the user's browser, as `victor ui` does unless `--no-open`: `open` on macOS, `xdg-open`
 * elsewhere on Unix (only with a display: over SSH it would start a text browser in the terminal), the URL handler
 * on Windows. Detached and never waited for; one that cannot be started only earns a note.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"

/** The command that opens `url` here, or none when there is no browser to show it. */
export const commandFor = (
  url: string,
  platform: NodeJS.Platform = process.platform,
  env: Readonly<Record<string, string | undefined>> = process.env
): readonly [string, ReadonlyArray<string>] | undefined => {
  if (platform === "darwin") return ["open", [url]]
  if (platform === "win32") return ["rundll32", ["url.dll,FileProtocolHandler", url]]
  const display = env["DISPLAY"] ?? env["WAYLAND_DISPLAY"]
  return display === undefined || display === "" ? undefined : ["xdg-open", [url]]
}

/** Opens `url`; the result says whether a browser was asked to. */
export const open = (url: string): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    const command = commandFor(url)
    if (command === undefined) return resume(Effect.succeed(false))
    try {
      const child = spawn(command[0], command[1], { detached: true, stdio: "ignore" })
      child.once("error", () => resume(Effect.succeed(false)))
      child.once("spawn", () => {
        child.unref()
        resume(Effect.succeed(true))
      })
    } catch {
      resume(Effect.succeed(false))
    }
  })
