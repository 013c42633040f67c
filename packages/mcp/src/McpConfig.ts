/**
 * The config of MCP servers, as `victor.config.json`'s `mcp_servers` and a workflow file's top-level `mcp_servers`
 * write it: servers by name, each `{ command, args?, env?, cwd? }` (a process spoken to over stdio) or
 * `{ url, headers? }` (streamable HTTP). This module loads no MCP code: reading a config costs nothing.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

/** A server started as a process, spoken to over its stdin and stdout. */
export const StdioServer = Schema.Struct({
  command: Schema.String,
  args: Schema.optional(Schema.Array(Schema.String)),
  /** Added to a minimal environment (PATH, HOME, ...), as the MCP SDK does. */
  env: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String })),
  /** The server's working directory (relative to the file that names it). */
  cwd: Schema.optional(Schema.String)
})

/** A server at a URL, spoken to over streamable HTTP. */
export const HttpServer = Schema.Struct({
  url: Schema.String,
  headers: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.String }))
})

/** One server's config. */
export const ServerConfig = Schema.Union(StdioServer, HttpServer)
export type ServerConfig = typeof ServerConfig.Type

/** Servers by name (a name may not contain a dot: `<server>.<tool>` names its tools). */
export const ServerConfigs = Schema.Record({
  key: Schema.String.pipe(Schema.pattern(/^[^.\s]+$/, { message: () => "a server name has no dots or spaces" })),
  value: ServerConfig
})
export type ServerConfigs = typeof ServerConfigs.Type

const decodeEither = Schema.decodeUnknownEither(ServerConfigs, { errors: "all", onExcessProperty: "error" })

/** Decodes server configs; a problem is one line naming each field. */
export const decode = (raw: unknown): Either.Either<ServerConfigs, string> =>
  Either.mapLeft(decodeEither(raw), (error) =>
    ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) =>
      `${issue.path.length === 0 ? "" : `${issue.path.join(".")}: `}${issue.message}`
    ).join("; "))

/** The configs with each relative stdio `cwd` resolved against `directory`. */
export const resolveCwd = (
  configs: ServerConfigs,
  resolve: (cwd: string) => string
): ServerConfigs =>
  Object.fromEntries(Object.entries(configs).map(([name, config]) => [
    name,
    "command" in config && config.cwd !== undefined ? { ...config, cwd: resolve(config.cwd) } : config
  ]))
