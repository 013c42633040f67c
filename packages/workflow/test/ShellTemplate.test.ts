// Values placed into shell commands are data: each hostile value, in each place a template can put it, either comes
// out of a real `sh` byte for byte or is refused, and never runs.
import { describe, expect, it } from "@effect/vitest"
import * as ShellTemplate from "@victor/workflow/ShellTemplate"
import * as Either from "effect/Either"
import { spawnSync } from "node:child_process"
import { existsSync, mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const dir = mkdtempSync(join(tmpdir(), "victor-shell-"))
const canary = join(dir, "PWNED")

const hostile = [
  "plain",
  "",
  `x; touch ${canary}`,
  `$(touch ${canary})`,
  `\`touch ${canary}\``,
  `'; touch ${canary}; '`,
  `"; touch ${canary}; "`,
  `\\"; touch ${canary} #`,
  `a\ntouch ${canary}`,
  `a\r\ntouch ${canary}\n`,
  `EOF\ntouch ${canary}\nEOF`,
  `x'"'"'y`,
  "*",
  "~",
  "$HOME ${HOME} $0 $$",
  "-n",
  "trailing\\",
  "\\\\ and \\n",
  "it's \"quoted\" `ticks` $(subshell) ${var} && || ; | & > < ( ) { } [ ] ! #",
  "unicode ✓ \u202e tabs\t\tend",
  `} {other} $ctx.other {{ other }}`
]

const templates: ReadonlyArray<readonly [string, string, (v: string) => string]> = [
  ["a command word", "printf '%s' {v}", (v) => v],
  ["a word with text around it", "printf '%s' pre{v}post", (v) => `pre${v}post`],
  ["double quotes", "printf '%s' \"{v}\"", (v) => v],
  ["double quotes with text around", "printf '%s' \"a $(printf b) {v} c\"", (v) => `a b ${v} c`],
  ["single quotes", "printf '%s' '{v}'", (v) => v],
  ["single quotes with text around", "printf '%s' 'it is {v}!'", (v) => `it is ${v}!`],
  ["$(...) inside double quotes", "printf '%s' \"$(printf '%s' {v})\"", (v) => v.replace(/\n+$/, "")],
  ["double quotes inside $(...)", "printf '%s' $(printf '%s' \"[{v}]\" | wc -c)", (v) => String(Buffer.byteLength(`[${v}]`))],
  ["a here-document", "cat <<EOF\n{v}\nEOF", (v) => `${v}\n`],
  ["a quoted here-document", "cat <<'EOF'\nline {v} end\nEOF\necho after", (v) => `line ${v} end\nafter\n`],
  ["a comment", "printf ok # {v}", () => "ok"],
  ["a second line", "true\nprintf '%s' {v}", (v) => v]
]

const run = (command: string) => spawnSync("sh", ["-c", command], { encoding: "utf8", cwd: dir })

describe("ShellTemplate", () => {
  for (const [where, template, expected] of templates) {
    it(`keeps every hostile value data in ${where}`, () => {
      for (const value of hostile) {
        const rendered = ShellTemplate.render(template.replaceAll("{v}", "{v}"), { v: value, other: "OTHER" })
        if (Either.isLeft(rendered)) {
          // Only a here-document may refuse, and only a value that writes its closing line.
          expect(template).toContain("<<")
          expect(value).toMatch(/(^|\n)EOF(\n|$)/)
          expect(rendered.left.reason).toBe("HereDocument")
          continue
        }
        const result = run(rendered.right)
        expect(existsSync(canary), `${where}: ${JSON.stringify(value)} ran as code: ${rendered.right}`).toBe(false)
        expect(result.stdout, `${where}: ${JSON.stringify(value)} -> ${rendered.right}`).toBe(expected(value))
      }
    })
  }

  it("refuses a value inside backticks, naming the placeholder and the fix", () => {
    const rendered = ShellTemplate.render("echo `echo {v}`", { v: "x" })
    expect(Either.isLeft(rendered) && rendered.left.message).toContain("{v} stands inside backticks")
    expect(Either.isLeft(rendered) && rendered.left.message).toContain("$(...)")
  })

  it("refuses a value holding a NUL byte", () => {
    const rendered = ShellTemplate.render("echo {v}", { v: "a\u0000b" })
    expect(Either.isLeft(rendered) && rendered.left.reason).toBe("NulByte")
  })

  it("leaves the author's own text and missing keys as written", () => {
    expect(ShellTemplate.render("awk '{print $1}' {missing} | wc -l", {})).toEqual(
      Either.right("awk '{print $1}' {missing} | wc -l")
    )
  })

  it("a value never becomes a placeholder: its braces are not read again", () => {
    expect(ShellTemplate.render("echo {a}", { a: "{b}", b: "secret" })).toEqual(Either.right("echo '{b}'"))
  })

  it("says where each placeholder stands, for validation", () => {
    expect(
      ShellTemplate.places("echo {a} \"{b}\" '{c}' `{d}`").map((p) => [p.key, p.place._tag, p.backticks])
    ).toEqual([
      ["a", "Word", false],
      ["b", "DoubleQuoted", false],
      ["c", "SingleQuoted", false],
      ["d", "Backticks", true]
    ])
  })
})
