/**
 * The `victor` executable. `victor --version` answers before Effect and the command tree load (a sixth of the
 * start-up of any other command); every other command line runs `Program`.
 */
import { VERSION } from "./Version.ts"

const args = process.argv.slice(2)
if (args.length === 1 && args[0] === "--version") console.log(VERSION)
else await import("./Program.ts")
