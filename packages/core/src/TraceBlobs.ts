/**
 * A store capability: the blobs large payloads are kept in, apart from their traces (see `Payload`). A trace refers
 * to a blob by its sha256; `resolve` puts the contents back. A store without blobs keeps every payload in its trace,
 * so its traces refer to none, and reading one fails with `NotFound`.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Payload from "./Payload.ts"
import { TraceStoreError } from "./TraceStore.ts"
import type { WorkflowTrace } from "./WorkflowTrace.ts"

/** The blob capability of a store. */
export class TraceBlobs extends Context.Tag("@victor/core/TraceBlobs")<
  TraceBlobs,
  {
    /** The JSON text of a blob, by its sha256 (hex). */
    readonly readBlob: (sha256: string) => Effect.Effect<string, TraceStoreError>
  }
>() {}

/** Whether a string is a sha256 in hex, the only thing a blob name may be. */
export const isSha256 = (value: string): boolean => /^[0-9a-f]{64}$/.test(value)

/** Fails with `InvalidId` unless the blob name is a sha256. */
export const validateBlobName = (sha256: string): Effect.Effect<string, TraceStoreError> =>
  isSha256(sha256)
    ? Effect.succeed(sha256)
    : Effect.fail(
      new TraceStoreError({ reason: "InvalidId", description: `invalid blob name ${JSON.stringify(sha256)}` })
    )

/** A blob's JSON text from the store's blobs, or `NotFound` when the store keeps none. */
export const readBlob = (sha256: string): Effect.Effect<string, TraceStoreError> =>
  Effect.flatMap(Effect.serviceOption(TraceBlobs), (blobs) =>
    Option.isSome(blobs)
      ? blobs.value.readBlob(sha256)
      : Effect.flatMap(validateBlobName(sha256), (hash) =>
        Effect.fail(
          new TraceStoreError({ reason: "NotFound", description: `no blob ${hash}: this store keeps no blobs` })
        )))

/** The trace with every blob reference replaced by the blob's content, from the store's blobs. */
export const resolve = (trace: WorkflowTrace): Effect.Effect<WorkflowTrace, TraceStoreError> =>
  Payload.resolve(trace, readBlob)
