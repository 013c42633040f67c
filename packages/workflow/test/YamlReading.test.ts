/**
 * The loader reads most files with its own fast YAML reader and falls back to the `yaml` package for anything outside
 * the reader's subset. A file must load the same either way. A `%YAML 1.2` directive is outside the subset and means
 * nothing to either reader, so `%YAML 1.2\n---\n` + a file loads it through `yaml`: the two loads must agree on every
 * value, warning and position (two lines further down), for every workflow file in the repository, for a set of
 * hand-picked YAML corners, and for generated documents written in every style `yaml` writes.
 */
import { describe, expect, it } from "@effect/vitest"
import * as WorkflowLoader from "@victor/workflow/WorkflowLoader"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import * as YAML from "yaml"
// Only to count how many generated files the fast reader reads itself (the rest go to `yaml`).
import * as yamlReader from "../src/internal/yamlReader.ts"

const root = join(import.meta.dirname, "../../..")
const viaYaml = (source: string) => `%YAML 1.2\n---\n${source}`

/** A load as comparable data: the definition or the error message, with every line number moved up by `lines`. */
const loaded = (source: string, lines: number) =>
  WorkflowLoader.parse(source, "flow.yaml").pipe(
    Effect.map((definition) => ({ ok: shift(JSON.parse(JSON.stringify(definition)), lines) })),
    Effect.catchAll((error) => Effect.succeed({ error: shiftText(error.message, lines) }))
  )

const shiftText = (text: string, lines: number) =>
  text.replace(/(\.yaml):(\d+)/g, (_, file: string, line: string) => `${file}:${Number(line) - lines}`)

const shift = (value: unknown, lines: number, key?: string): unknown => {
  if (typeof value === "string") return shiftText(value, lines)
  if (typeof value === "number") return key === "line" ? value - lines : value
  if (Array.isArray(value)) return value.map((item) => shift(item, lines))
  if (value === null || typeof value !== "object") return value
  const lineValues = key === "nodeLines"
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, lineValues ? (v as number) - lines : shift(v, lines, k)])
  )
}

/** Loads a file both ways and expects the same result; whether the fast reader read it is the caller's business. */
const expectSameLoad = (source: string) =>
  Effect.gen(function*() {
    const fast = yield* loaded(source, 0)
    const slow = yield* loaded(viaYaml(source), 2)
    expect(fast).toEqual(slow)
    return fast
  })

const workflowFiles = (dir: string): Array<string> =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (name === "node_modules" || name.startsWith(".")) return []
    if (statSync(path).isDirectory()) return workflowFiles(path)
    return /\.ya?ml$/.test(name) && /^\s*(nodes|workflows|name):/m.test(readFileSync(path, "utf8")) ? [path] : []
  })

describe("the fast YAML reader and the yaml package load a file alike", () => {
  const files = [
    ...workflowFiles(join(root, "examples")),
    ...workflowFiles(join(root, "packages/workflow/test/fixtures"))
  ]

  it("finds the repository's workflow files", () => {
    expect(files.length).toBeGreaterThan(10)
  })

  for (const file of files) {
    it.effect(relative(root, file), () =>
      Effect.gen(function*() {
        // Some need a plugin's node kind or a sub-workflow's file to load; then both fail alike.
        yield* expectSameLoad(readFileSync(file, "utf8"))
      }))
  }

  const corners: Record<string, string> = {
    "plain scalars the core schema types": "metadata:\n  a: 0o17\n  b: 0x1F\n  c: -.inf\n  d: .NaN\n  e: 1e3\n  f: +12\n" +
      "  g: 1.\n  h: yes\n  i: ~\n  j: Null\n  k: TRUE\n  l: 012\n  m: 1_000\n  n: 2001-12-14\n  o:\n",
    "keys of every kind": "metadata:\n  1: one\n  \"2\": two\n  true: yes\n  null: nothing\n  'q k': v\n" +
      "  __proto__: { polluted: true }\n  constructor: x\n  toString: y\n",
    "multi-line plain and quoted scalars":
      "metadata:\n  plain: first\n    second\n\n    third\n  double: \"a\n    b \\\"c\\\" \\u00e9 \\x41\\n\"\n  single: 'it''s\n    here'\n",
    "block scalars with every chomping and indentation":
      "metadata:\n  keep: |+\n    a\n\n  strip: |-\n    a\n     b\n  folded: >\n    a\n    b\n\n    c\n     d\n  indented: |2\n      x\n  empty: |\n",
    "flow collections and comments":
      "metadata: { a: [1, 2, {b: c}], 'd': \"e\", f: [], g: {} }  # trailing\n# between\nnodes: [ { id: x, type: transform, transform: \"a = 1\" } ]\n",
    "sequences in sequences": "metadata:\n  m:\n  - - a\n    - b\n  -   - c\n  - key: v\n    other: w\n",
    "values that look like syntax": "metadata:\n  a: b:c\n  d: 'x: y'\n  e: -1\n  f: - not a list\n  g: a # b\n  h: a#b\n  i: '#'\n",
    "anchors and merge keys go to yaml": "metadata:\n  base: &b { x: 1 }\n  more:\n    <<: *b\n    y: 2\n",
    "a duplicate key": "metadata:\n  a: 1\n  a: 2\n",
    "a tab in the indentation": "metadata:\n\ta: 1\n",
    "an unterminated quote": "metadata:\n  a: \"open\n",
    "a bad indentation": "metadata:\n  a: 1\n b: 2\n",
    "interpolated values": "metadata:\n  a: ${VICTOR_UNSET_FOR_TEST:-30}\n  b: \"${VICTOR_UNSET_FOR_TEST:-x}\"\n  c: pre ${VICTOR_UNSET_FOR_TEST:-y} post\n"
  }
  const node = "nodes:\n  - id: only\n    type: transform\n    transform: \"x = 1\"\n"
  for (const [name, text] of Object.entries(corners)) {
    it.effect(name, () => expectSameLoad(text.includes("nodes:") ? text : text + node))
  }

  it.effect("a __proto__ key is data, never the object's prototype", () =>
    Effect.gen(function*() {
      const source = "metadata:\n  __proto__: { polluted: true }\n  constructor: x\n" + node
      // The fast reader leaves such a file to `yaml`, which keeps the key as data; decoding then drops it.
      expect(yamlReader.read(source)).toBeUndefined()
      const definition = yield* WorkflowLoader.parse(source, "flow.yaml")
      expect(Object.getPrototypeOf(definition.metadata)).toBe(Object.prototype)
      expect((definition.metadata as { polluted?: unknown }).polluted).toBeUndefined()
      expect(definition.metadata.constructor).toBe("x")
    }))

  // Values of every JSON shape, written in each style `yaml` writes them, under `metadata:`.
  const styles: ReadonlyArray<YAML.ToStringOptions> = [
    {},
    { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" },
    { defaultStringType: "QUOTE_SINGLE" },
    { defaultStringType: "BLOCK_LITERAL" },
    { defaultStringType: "BLOCK_FOLDED", lineWidth: 20, minContentWidth: 5 },
    { collectionStyle: "flow" },
    { indent: 4, indentSeq: false },
    { lineWidth: 12, minContentWidth: 0 }
  ]
  const text = fc.oneof(
    fc.string(),
    fc.constantFrom("", " ", "a: b", "- x", "# no", "'", "\"", "|", ">", "null", "true", "0x1", "1e5", "${HOME}", "a\nb", " lead", "trail ", "\n\n", "é ü ✓")
  )
  // `__proto__` keys have their own test above: the loader drops them, `YAML.parse` keeps them.
  const key = text.filter((k) => k !== "__proto__")
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      text,
      fc.integer(),
      fc.double({ noNaN: true }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(key, tie("value"), { maxKeys: 4 })
    )
  })).value

  it.effect("generated documents in every style", () =>
    Effect.gen(function*() {
      let loads = 0
      let fastReads = 0
      const samples = fc.sample(fc.tuple(fc.dictionary(key, json, { maxKeys: 5 }), fc.constantFrom(...styles)), Number(process.env.YAML_SAMPLES ?? 400))
      for (const [metadata, style] of samples) {
        const source = YAML.stringify({ metadata }, style) + node
        const result = yield* expectSameLoad(source)
        if ("ok" in result) {
          expect((result.ok as { metadata: unknown }).metadata).toEqual(JSON.parse(JSON.stringify(YAML.parse(source).metadata)))
          loads++
        }
        if (yamlReader.read(source) !== undefined) fastReads++
      }
      // Most generated files are valid workflows, and the fast reader reads most of them itself.
      expect(loads).toBeGreaterThan(300)
      expect(fastReads).toBeGreaterThan(250)
    }), 60_000)
})
