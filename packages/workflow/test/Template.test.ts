import { describe, expect, it } from "@effect/vitest"
import * as Template from "@victor/workflow/Template"
import * as Either from "effect/Either"

const state = {
  name: "victor",
  count: 3,
  review: { response: "Looks good." },
  report: { files: ["a.ts", "b.ts"], ok: true },
  files: ["a.ts", "b.ts"],
  nothing: null
}

describe("Template", () => {
  it("renders {key}, {{key}} and $ctx.key with dotted paths", () => {
    expect(Template.render("Hello {name}, {{ count }} runs; first: $ctx.files.0.", state)).toBe(
      "Hello victor, 3 runs; first: a.ts."
    )
    expect(Template.render("{{report.ok}} / {report.files.1} / {{$ctx.name}}", state)).toBe("true / b.ts / victor")
  })

  it("renders an object with a response as its text and other objects as JSON", () => {
    expect(Template.render("Review: {review}", state)).toBe("Review: Looks good.")
    expect(Template.render("{report}", state)).toBe("{\"files\":[\"a.ts\",\"b.ts\"],\"ok\":true}")
    expect(Template.render("{files} {nothing}", state)).toBe("[\"a.ts\",\"b.ts\"] null")
  })

  it("leaves braces that are not known keys as written", () => {
    expect(Template.render("awk '{print $1}' {missing} {{ missing.key }} $ctx.missing", state)).toBe(
      "awk '{print $1}' {missing} {{ missing.key }} $ctx.missing"
    )
    expect(Template.render("{\"json\": {name}}", state)).toBe("{\"json\": victor}")
  })

  it("resolves node inputs: exact $ctx references keep their type, templates render, literals stay", () => {
    const resolved = Template.resolve({
      paths: "$ctx.files",
      flag: "$ctx.report.ok",
      message: "count={count}",
      nested: [{ who: "{{name}}" }, 5, true],
      literal: 42
    }, state)
    expect(resolved).toEqual(Either.right({
      paths: ["a.ts", "b.ts"],
      flag: true,
      message: "count=3",
      nested: [{ who: "victor" }, 5, true],
      literal: 42
    }))
  })

  it("fails on an exact $ctx reference to a missing key, naming it", () => {
    const resolved = Template.resolve({ path: "$ctx.target.file" }, state)
    expect(Either.isLeft(resolved)).toBe(true)
    if (Either.isLeft(resolved)) {
      expect(resolved.left.key).toBe("target.file")
      expect(resolved.left.message).toContain("$ctx.target.file is not in the workflow state")
    }
  })
})
