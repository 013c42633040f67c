// Makes sure the HTML report's browser tests have a Chromium: Debian's `chromium` package (playwright-core drives it;
// browser downloads are blocked here). Installs it with apt-get when it is missing and this user may; otherwise says
// what to do and fails, so that a missing browser is never mistaken for a failing report.
import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"

const path = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium"
if (existsSync(path)) process.exit(0)

const isRoot = typeof process.getuid === "function" && process.getuid() === 0
if (!isRoot || !existsSync("/usr/bin/apt-get")) {
  console.error(
    `${path} not found: install Chromium (Debian/Ubuntu: sudo apt-get install -y --no-install-recommends chromium), ` +
      "or set CHROMIUM_PATH to a Chromium binary; the HTML report is tested in a real browser"
  )
  process.exit(1)
}
console.error(`${path} not found: installing Debian's chromium (about 20 s)`)
const run = (args) => execFileSync("apt-get", args, { stdio: ["ignore", "inherit", "inherit"] })
run(["update", "-qq"])
run(["install", "-y", "-qq", "--no-install-recommends", "chromium"])
if (!existsSync(path)) {
  console.error(`apt-get installed chromium, but ${path} is still missing; set CHROMIUM_PATH`)
  process.exit(1)
}
