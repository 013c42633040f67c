/**
 * The `victor` executable. `victor --version` answers before Effect and the command tree load (the bin answers it
 * before even this bundle is compiled); every other command line runs `Program`, which the bundle evaluates only then.
 */
import { VERSION } from "./Version.ts"

const args = process.argv.slice(2)
if (args.length === 1 && args[0] === "--version") console.log(VERSION)
else void import("./Program.ts")
