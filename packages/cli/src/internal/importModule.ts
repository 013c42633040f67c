/**
 * `import()` of a module named at run time (a plugin).
 *
 * The bundled CLI runs as a vm script compiled from V8's code cache (see `bin/victor.cjs`), and Node 20 drops the
 * dynamic-import callback of a script compiled from a cache ("A dynamic import callback was not specified"). So the
 * bin, an ES module, hands the bundle its own `import()` under this key; elsewhere (tests, Deno, the sources run
 * directly) the built-in one serves.
 */
export const importerKey: unique symbol = Symbol.for("@victor/cli/importModule")

export const importModule = (url: string): Promise<unknown> => {
  const provided = (globalThis as { readonly [importerKey]?: unknown })[importerKey]
  return typeof provided === "function" ? (provided as (url: string) => Promise<unknown>)(url) : import(url)
}
