// The store's directory: created 0700; an existing one of ours open to others is made 0700; one of another user is
// refused (root included) with one line saying how to fix it. Chown needs root: those cases run only as root (CI).
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, it } from "@effect/vitest"
import { sampleTrace } from "@victor/core/testing/TraceStoreContract"
import * as FileSystemTraceStore from "@victor/store-fs/FileSystemTraceStore"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as NodeFs from "node:fs"
import * as NodePath from "node:path"

const uid = typeof process.getuid === "function" ? process.getuid() : undefined
const isRoot = uid === 0
const stranger = 12345

const modeOf = (path: string) => NodeFs.lstatSync(path).mode & 0o777

/** A fresh temp directory and the warnings logged while the test runs. */
const withDirectory = <A, E>(test: (root: string, warnings: Array<string>) => Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const root = yield* Effect.flatMap(FileSystem.FileSystem, (fs) => fs.makeTempDirectoryScoped({ prefix: "victor-dir-" }))
    const warnings: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel._tag === "Warning") warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    return yield* test(root, warnings).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
  }).pipe(Effect.scoped, Effect.provide(NodeContext.layer))

const storeOn = (directory: string, userId = uid) =>
  FileSystemTraceStore.make({ directory, ...(userId === undefined ? {} : { userId }) }).pipe(
    Effect.provide(NodeContext.layer)
  )

describe.runIf(uid !== undefined)("FileSystemTraceStore's directory", () => {
  it.effect("is created 0700 with its files 0600, whatever the umask", () =>
    withDirectory((root) =>
      Effect.gen(function*() {
        const directory = NodePath.join(root, "a", "traces")
        const umask = process.umask(0)
        try {
          const store = yield* storeOn(directory)
          yield* store.save(sampleTrace())
          yield* store.list()
        } finally {
          process.umask(umask)
        }
        expect(modeOf(directory)).toBe(0o700)
        for (const name of NodeFs.readdirSync(directory)) expect(modeOf(NodePath.join(directory, name)), name).toBe(0o600)
      })
    ))

  it.effect("an existing one open to others (0777) is made 0700: with one warning when listing", () =>
    withDirectory((root, warnings) =>
      Effect.gen(function*() {
        const directory = NodePath.join(root, "traces")
        NodeFs.mkdirSync(directory)
        NodeFs.chmodSync(directory, 0o777)
        const store = yield* storeOn(directory)
        expect(yield* store.list()).toEqual([])
        expect(modeOf(directory)).toBe(0o700)
        expect(warnings).toEqual([`trace directory ${directory} was open to other users (mode 0777); it is now private (0700)`])
        yield* store.list()
        expect(warnings).toHaveLength(1)
      })
    ))

  it.effect("an existing one open to others is made 0700 by a write too, which logs nothing", () =>
    withDirectory((root, warnings) =>
      Effect.gen(function*() {
        const directory = NodePath.join(root, "traces")
        NodeFs.mkdirSync(directory)
        NodeFs.chmodSync(directory, 0o775)
        yield* (yield* storeOn(directory)).save(sampleTrace())
        expect(modeOf(directory)).toBe(0o700)
        expect(warnings).toEqual([])
      })
    ))

  it.effect("without userId (a library caller that does not say who it is), owner and mode are left alone", () =>
    withDirectory((root, warnings) =>
      Effect.gen(function*() {
        const directory = NodePath.join(root, "traces")
        NodeFs.mkdirSync(directory)
        NodeFs.chmodSync(directory, 0o755)
        yield* (yield* FileSystemTraceStore.make({ directory }).pipe(Effect.provide(NodeContext.layer))).list()
        expect(modeOf(directory)).toBe(0o755)
        expect(warnings).toEqual([])
      })
    ))

  it.effect.runIf(isRoot)("one of another user is refused, even as root, with the fix; nothing is written or changed", () =>
    withDirectory((root) =>
      Effect.gen(function*() {
        const directory = NodePath.join(root, "traces")
        NodeFs.mkdirSync(directory)
        NodeFs.chmodSync(directory, 0o777)
        NodeFs.chownSync(directory, stranger, stranger)
        const store = yield* storeOn(directory)
        const expected = `trace directory ${directory} belongs to another user (uid ${stranger}), not to you (uid 0): ` +
          `take it over (chown 0 '${directory}' && chmod 700 '${directory}') or use a directory of your own (--trace-dir DIR)`
        const failures = [
          yield* Effect.flip(store.save(sampleTrace())),
          yield* Effect.flip(store.list()),
          yield* Effect.flip(store.listNodeFacts()),
          yield* Effect.flip(store.get("trace-1")),
          yield* Effect.flip(store.prune({ keepLast: 1 })),
          yield* Effect.flip(store.begin({ ...sampleTrace(), traceId: "run" } as never))
        ]
        for (const error of failures) {
          expect(error).toMatchObject({ reason: "Insecure", path: directory })
          expect(error.message).toBe(expected)
          expect(error.message).not.toContain("\n")
        }
        expect(NodeFs.readdirSync(directory)).toEqual([])
        expect(modeOf(directory)).toBe(0o777)
        expect(NodeFs.statSync(directory).uid).toBe(stranger)
      })
    ))

  it.effect.runIf(isRoot)("a link to a directory of ours in place of the directory is refused; so is a link of another user", () =>
    withDirectory((root) =>
      Effect.gen(function*() {
        const elsewhere = NodePath.join(root, "elsewhere")
        NodeFs.mkdirSync(elsewhere, { mode: 0o700 })
        const directory = NodePath.join(root, "traces")
        NodeFs.symlinkSync(elsewhere, directory)
        NodeFs.lchownSync(directory, stranger, stranger)
        const error = yield* Effect.flip((yield* storeOn(directory)).save(sampleTrace()))
        expect(error).toMatchObject({ reason: "Insecure", path: directory })
        expect(NodeFs.readdirSync(elsewhere)).toEqual([])
      })
    ))
})
