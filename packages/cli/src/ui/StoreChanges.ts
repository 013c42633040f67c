/**
 * When the explorer's live streams should ask the store again. Asking costs a listing (the file system store reads
 * its directory: 10,000 traces take a few hundred milliseconds), so a page left open on an idle store should not ask
 * every second. For a store in a directory the directory is watched (`FileSystem.watch`): a journal that grows (or is
 * touched by its run's heartbeat), a trace file written, renamed or removed is a change, the store's own hidden files
 * (its index, temp files) are not, and the streams ask again only after a change, at most once per interval, and at
 * least every `idle` (so that a run that died, whose journal no longer changes, is still seen to end). A database, and
 * a directory that cannot be watched (not there yet, too many watches), are asked every interval.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"

/** How a live stream waits for the store to change. */
export interface StoreChanges {
  /** How many changes were seen so far: read it before asking the store. */
  readonly version: Effect.Effect<number>
  /** Waits `interval`, then until a change after `seen` (at most `idle` in all); gives the version then. */
  readonly after: (seen: number, interval: Duration.DurationInput) => Effect.Effect<number>
}

/** Changes are not known: every interval is a change (a database). */
export const polling: StoreChanges = {
  version: Effect.succeed(0),
  after: (_seen, interval) => Effect.as(Effect.sleep(interval), 0)
}

/** The longest a live stream waits without asking the store, watched or not. */
export const defaultIdle: Duration.DurationInput = "10 seconds"

const isOwnFile = (path: string) => {
  const name = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1)
  return name.startsWith(".")
}

/**
 * The changes of a store's directory, watched for as long as `scope` lasts; when the directory cannot be watched
 * (now or later), `polling`.
 */
export const watching = (
  directory: string,
  idle: Duration.DurationInput = defaultIdle
): Effect.Effect<StoreChanges, never, FileSystem.FileSystem | Scope.Scope> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const version = yield* SubscriptionRef.make(0)
    const watched = yield* SubscriptionRef.make(true)
    const events = fs.watch(directory).pipe(
      Stream.filter((event) => !isOwnFile(event.path)),
      Stream.runForEach(() => SubscriptionRef.update(version, (n) => n + 1))
    )
    // A watch that cannot start or that fails later leaves the streams to poll.
    yield* Effect.forkScoped(
      Effect.ensuring(Effect.ignore(events), SubscriptionRef.set(watched, false))
    )
    const changed = (seen: number) =>
      Effect.raceFirst(
        Effect.map(
          Stream.runHead(Stream.filter(version.changes, (n) => n !== seen)),
          Option.getOrElse(() => seen)
        ),
        // Once the watch is gone, any wait is over.
        Effect.flatMap(Stream.runHead(Stream.filter(watched.changes, (on) => !on)), () => SubscriptionRef.get(version))
      )
    return {
      version: SubscriptionRef.get(version),
      after: (seen, interval) =>
        Effect.gen(function*() {
          yield* Effect.sleep(interval)
          if (!(yield* SubscriptionRef.get(watched))) return yield* SubscriptionRef.get(version)
          const rest = Duration.subtract(Duration.decode(idle), Duration.decode(interval))
          return yield* Effect.raceFirst(
            changed(seen),
            Effect.zipRight(Effect.sleep(Duration.max(rest, Duration.zero)), SubscriptionRef.get(version))
          )
        })
    }
  })
