/**
 * The search behind the built-in `grep` tool: the files under a directory, in name order, links followed inside the
 * allowed directories, each real directory walked once; the matching lines of each file, up to `max_matches`.
 *
 * The result is the one a walk one entry at a time gives, but the file system is asked many things at once, in three
 * passes (each entry costs several round trips to the file system, and one after another they were most of grep's
 * time: over this repository's packages, 380 entries and 2.5 MB of TypeScript, `code_review.yaml`'s grep took 340 ms
 * in a `victor` run and takes about 165, 90 once warm):
 *
 * 1. List: every directory reachable from the root is listed once, by its real location, its entries' types and real
 *    locations found alongside; level by level, `concurrency` directories and `concurrency` entries of each at once.
 * 2. Walk: in name order over those listings, nothing asked of the file system: which directories a walk in order
 *    enters (a directory reached again, through a link or a loop, is skipped where it comes later) and which files it
 *    searches, with their place (`glob` may match a path relative to the root).
 * 3. Search: those files, read many at once, their matches kept in walk order, stopping after the window of files in
 *    which `max_matches` was passed.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import * as Effect from "effect/Effect"

/** One matching line (a type, not an interface: a tool's output is a JSON object). */
export type Match = { readonly file: string; readonly line: number; readonly text: string }

/** What a search found. */
export type Found = { readonly matches: ReadonlyArray<Match>; readonly count: number; readonly truncated: boolean }

/** What a search needs: the platform services, and where the tool may go. */
export interface Environment {
  readonly fs: FileSystem.FileSystem
  readonly path: Path.Path
  /** Whether a real location lies inside the allowed directories. */
  readonly isAllowed: (real: string) => boolean
}

/** A search: a directory (given absolute, and as the matches name it), what to look for and where. */
export interface Search {
  readonly directory: string
  readonly shown: string
  readonly regex: RegExp
  /** Matches a file's name, or its path relative to the root when `globHasSlash`. */
  readonly glob: RegExp | undefined
  readonly globHasSlash: boolean
  readonly maxMatches: number
}

/** Directories `grep` never descends into. */
const skippedDirectories = new Set(["node_modules", ".git"])
/**
 * Directories listed at once, entries of each examined at once, and files read at once. (A semaphore shared by every
 * request would bound the total more simply, but each of its wake-ups waits for Effect's scheduler: it made the
 * listing three times slower.)
 */
const concurrency = 16
/** Files read per window of the search pass (see the module's header). */
const searchWindow = 64
/** Files larger than this are not searched (they are data, not source). */
const maxFileBytes = 5 * 1024 * 1024
/** Matched lines longer than this are cut, so one minified file cannot flood a trace. */
const maxLineLength = 400

interface Entry {
  readonly name: string
  readonly directory: boolean
  readonly real: string
}

/** A directory to list: as reached, and its real location. */
interface Place {
  readonly absolute: string
  readonly real: string
}

/** The matching lines of one file, at most `limit` + 1 (one past the limit marks truncation). */
export const searchFile = (
  fs: FileSystem.FileSystem,
  absolute: string,
  shown: string,
  regex: RegExp,
  limit: number
): Effect.Effect<ReadonlyArray<Match>> =>
  fs.readFile(absolute).pipe(
    Effect.map((bytes) => {
      const found: Array<Match> = []
      if (bytes.byteLength > maxFileBytes || bytes.subarray(0, 8000).includes(0)) return found
      const lines = new TextDecoder().decode(bytes).split(/\r?\n/)
      for (const [index, line] of lines.entries()) {
        if (!regex.test(line)) continue
        const text = line.length > maxLineLength ? `${line.slice(0, maxLineLength)}...` : line
        found.push({ file: shown, line: index + 1, text })
        if (found.length > limit) break
      }
      return found
    }),
    // An unreadable file inside the tree is skipped, as grep -r -s does.
    Effect.orElseSucceed((): ReadonlyArray<Match> => [])
  )

/** Searches the files under `search.directory` (see the module's header). */
export const searchDirectory = (environment: Environment, search: Search): Effect.Effect<Found> =>
  Effect.gen(function*() {
    const { fs, isAllowed, path } = environment
    const realOf = (absolute: string) => fs.realPath(absolute).pipe(Effect.orElseSucceed(() => absolute))
    // A glob on names alone rules files out while listing; one on paths waits for the walk, which knows them.
    const wanted = (name: string) => search.glob === undefined || search.globHasSlash || search.glob.test(name)

    // 1. List.
    const listings = new Map<string, ReadonlyArray<Entry>>()
    const examine = (directory: string, name: string): Effect.Effect<Entry | undefined> =>
      Effect.gen(function*() {
        const absolute = path.join(directory, name)
        const info = yield* fs.stat(absolute).pipe(Effect.option)
        if (info._tag === "None") return undefined
        const isDirectory = info.value.type === "Directory"
        if (!isDirectory && (info.value.type !== "File" || !wanted(name))) return undefined
        return { name, directory: isDirectory, real: yield* realOf(absolute) }
      })
    // One directory: its entries, and the subdirectories to list next.
    const list = (directory: Place, next: Array<Place>): Effect.Effect<void> =>
      Effect.suspend(() => {
        // A link inside the tree that leads out of the allowed directories is not followed.
        if (listings.has(directory.real) || !isAllowed(directory.real)) return Effect.void
        listings.set(directory.real, [])
        return Effect.gen(function*() {
          const names = yield* fs.readDirectory(directory.absolute).pipe(
            Effect.orElseSucceed((): Array<string> => [])
          )
          const examined = yield* Effect.forEach(
            names.filter((name) => !skippedDirectories.has(name)).sort(),
            (name) => examine(directory.absolute, name),
            { concurrency }
          )
          const entries = examined.filter((entry): entry is Entry => entry !== undefined)
          listings.set(directory.real, entries)
          for (const entry of entries) {
            if (entry.directory) next.push({ absolute: path.join(directory.absolute, entry.name), real: entry.real })
          }
        })
      })
    // Level by level, `concurrency` directories at a time: at most `concurrency`² requests in flight, however wide
    // the tree.
    const rootReal = yield* realOf(search.directory)
    for (let level: Array<Place> = [{ absolute: search.directory, real: rootReal }]; level.length > 0;) {
      const next: Array<Place> = []
      yield* Effect.forEach(level, (directory) => list(directory, next), { concurrency, discard: true })
      level = next
    }

    // 2. Walk.
    const files: Array<{ readonly absolute: string; readonly shown: string }> = []
    const visited = new Set<string>()
    const walk = (absolute: string, real: string, shown: string, relative: string): void => {
      if (visited.has(real) || !isAllowed(real)) return
      visited.add(real)
      for (const entry of listings.get(real) ?? []) {
        const childRelative = relative === "" ? entry.name : `${relative}/${entry.name}`
        const childAbsolute = path.join(absolute, entry.name)
        const childShown = path.join(shown, entry.name)
        if (entry.directory) walk(childAbsolute, entry.real, childShown, childRelative)
        else if (isAllowed(entry.real) && matchesGlob(search, entry.name, childRelative)) {
          files.push({ absolute: childAbsolute, shown: childShown })
        }
      }
    }
    walk(search.directory, rootReal, search.shown, "")

    // 3. Search.
    const matches: Array<Match> = []
    for (let at = 0; at < files.length; at += searchWindow) {
      const found = yield* Effect.forEach(
        files.slice(at, at + searchWindow),
        (file) => searchFile(fs, file.absolute, file.shown, search.regex, search.maxMatches),
        { concurrency }
      )
      for (const lines of found) {
        for (const match of lines) {
          if (matches.length >= search.maxMatches) return { matches, count: matches.length, truncated: true }
          matches.push(match)
        }
      }
    }
    return { matches, count: matches.length, truncated: false }
  })

const matchesGlob = (search: Search, name: string, relative: string): boolean =>
  search.glob === undefined || search.glob.test(search.globHasSlash ? relative : name)
