import { describe, expect, it } from "@effect/vitest"
import * as OtlpEndpoint from "@victor/exporter-otlp/OtlpEndpoint"
import * as Either from "effect/Either"

const ok = (env: Record<string, string | undefined>, overrides?: OtlpEndpoint.Overrides): OtlpEndpoint.Endpoint => {
  const result = OtlpEndpoint.resolve(env, overrides)
  if (Either.isLeft(result)) throw new Error(`expected an endpoint, got: ${result.left.message}`)
  return result.right
}

const error = (env: Record<string, string | undefined>, overrides?: OtlpEndpoint.Overrides): string => {
  const result = OtlpEndpoint.resolve(env, overrides)
  if (Either.isRight(result)) throw new Error(`expected an error, got ${JSON.stringify(result.right)}`)
  expect(result.left._tag).toBe("EndpointError")
  expect(result.left.message).not.toContain("\n")
  return result.left.message
}

describe("OtlpEndpoint.resolve", () => {
  it("defaults to a local collector: http/protobuf, gzip, 10 s, no headers", () => {
    expect(ok({})).toEqual({
      url: "http://localhost:4318/v1/traces",
      protocol: "http/protobuf",
      headers: {},
      compression: "gzip",
      timeoutMillis: 10_000
    })
  })

  it("appends /v1/traces to OTEL_EXPORTER_OTLP_ENDPOINT, with or without a path or trailing slash", () => {
    const url = (base: string) => ok({ OTEL_EXPORTER_OTLP_ENDPOINT: base }).url
    expect(url("http://collector:4318")).toBe("http://collector:4318/v1/traces")
    expect(url("http://collector:4318/")).toBe("http://collector:4318/v1/traces")
    expect(url("https://otel.example.com/api/")).toBe("https://otel.example.com/api/v1/traces")
    expect(url("https://otel.example.com/api")).toBe("https://otel.example.com/api/v1/traces")
  })

  it("uses OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, over the generic variable; empty counts as unset", () => {
    expect(ok({
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://generic:4318",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:4318/custom"
    }).url).toBe("http://traces:4318/custom")
    expect(ok({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://traces:4318" }).url).toBe("http://traces:4318/")
    expect(ok({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "", OTEL_EXPORTER_OTLP_ENDPOINT: "http://generic:4318" }).url)
      .toBe("http://generic:4318/v1/traces")
  })

  it("takes --endpoint over the environment: a bare origin is a base, a path is the full URL", () => {
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://env:4318/v1/traces" }
    expect(ok(env, { endpoint: "http://flag:4318" }).url).toBe("http://flag:4318/v1/traces")
    expect(ok(env, { endpoint: "http://flag:4318/" }).url).toBe("http://flag:4318/v1/traces")
    expect(ok(env, { endpoint: "http://flag:4318/otlp/traces" }).url).toBe("http://flag:4318/otlp/traces")
  })

  it("parses headers as k=v pairs, percent-decoded, merging generic, traces-specific and flags", () => {
    const endpoint = ok(
      {
        OTEL_EXPORTER_OTLP_HEADERS: "Authorization=Bearer%20generic, x-team = core ,",
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: "authorization=Bearer%20traces,x-scope=a%3Db%2Cc"
      },
      { headers: ["X-Flag=raw%20value", "x-team=cli"] }
    )
    expect(endpoint.headers).toEqual({
      authorization: "Bearer traces",
      "x-team": "cli",
      "x-scope": "a=b,c",
      "x-flag": "raw%20value"
    })
  })

  it("turns URL credentials into a Basic authorization header and out of the URL", () => {
    const endpoint = ok({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://user:p%40ss@collector:4318" })
    expect(endpoint.url).toBe("http://collector:4318/v1/traces")
    expect(endpoint.headers).toEqual({ authorization: `Basic ${btoa("user:p@ss")}` })
  })

  it("reads protocol, compression and timeout, traces-specific first, flags over both", () => {
    const env = {
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json",
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
      OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "none",
      OTEL_EXPORTER_OTLP_TIMEOUT: "2500",
      OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: "1500"
    }
    expect(ok(env)).toMatchObject({ protocol: "http/json", compression: "none", timeoutMillis: 1500 })
    expect(ok({ OTEL_EXPORTER_OTLP_TIMEOUT: "2500" }).timeoutMillis).toBe(2500)
    expect(ok(env, { protocol: "http/protobuf", compression: "gzip", timeoutMillis: 700 })).toMatchObject({
      protocol: "http/protobuf",
      compression: "gzip",
      timeoutMillis: 700
    })
  })

  it("fails in one line naming the variable or flag and the fix", () => {
    expect(error({ OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" })).toBe(
      "OTEL_EXPORTER_OTLP_PROTOCOL: OTLP over gRPC is not supported; use http/protobuf (port 4318)"
    )
    expect(error({}, { protocol: "grpc" })).toContain("--protocol: OTLP over gRPC is not supported")
    expect(error({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "thrift" })).toMatch(
      /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: unknown protocol "thrift"; use http\/protobuf or http\/json$/
    )
    expect(error({ OTEL_EXPORTER_OTLP_ENDPOINT: "localhost:4318/x y" })).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT .*not/)
    expect(error({ OTEL_EXPORTER_OTLP_ENDPOINT: "collector" })).toContain("OTEL_EXPORTER_OTLP_ENDPOINT \"collector\" is not a URL")
    expect(error({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "ftp://collector/x" })).toContain("is not an http(s) URL")
    expect(error({}, { endpoint: "grpc://collector:4317" })).toMatch(/^--endpoint .*gRPC is not supported/)
    const header = error({ OTEL_EXPORTER_OTLP_HEADERS: "authorization=Bearer%20s3cret,x-team" })
    expect(header).toContain("OTEL_EXPORTER_OTLP_HEADERS")
    expect(header).toContain("\"x-team\" has no \"=\"")
    expect(header).not.toContain("s3cret")
    expect(error({}, { headers: ["authorization"] })).toContain("--header \"authorization\" is not KEY=VALUE")
    expect(error({ OTEL_EXPORTER_OTLP_HEADERS: "a=%zz" })).toContain("bad %-escape")
    expect(error({}, { headers: ["x=a\r\nInjected: 1"] })).toContain("line break")
    expect(error({ OTEL_EXPORTER_OTLP_COMPRESSION: "zstd" })).toContain("OTEL_EXPORTER_OTLP_COMPRESSION: unknown compression")
    expect(error({ OTEL_EXPORTER_OTLP_TIMEOUT: "10s" })).toContain("OTEL_EXPORTER_OTLP_TIMEOUT: the timeout must be")
    expect(error({}, { timeoutMillis: 0 })).toContain("--timeout")
  })

  it("never puts URL credentials or query values in an error message", () => {
    const message = error({ OTEL_EXPORTER_OTLP_ENDPOINT: "ftp://user:hunter22@collector/?api_key=hunter33" })
    expect(message).not.toContain("hunter22")
    expect(message).not.toContain("hunter33")
  })
})

describe("OtlpEndpoint.resourceOptions", () => {
  it("reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (percent-decoded)", () => {
    expect(OtlpEndpoint.resourceOptions({
      OTEL_SERVICE_NAME: "nightly",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment.name=prod, team=a%2Cb,service.name=ignored"
    })).toEqual({ serviceName: "nightly", resourceAttributes: { "deployment.environment.name": "prod", team: "a,b" } })
  })

  it("takes service.name from the attributes without OTEL_SERVICE_NAME; nothing set gives nothing", () => {
    expect(OtlpEndpoint.resourceOptions({ OTEL_RESOURCE_ATTRIBUTES: "service.name=svc" })).toEqual({ serviceName: "svc" })
    expect(OtlpEndpoint.resourceOptions({})).toEqual({})
  })

  it("ignores a malformed OTEL_RESOURCE_ATTRIBUTES whole", () => {
    expect(OtlpEndpoint.resourceOptions({ OTEL_RESOURCE_ATTRIBUTES: "a=1,broken,b=2" })).toEqual({})
    expect(OtlpEndpoint.resourceOptions({ OTEL_RESOURCE_ATTRIBUTES: "a=%zz" })).toEqual({})
  })
})

describe("OtlpEndpoint.describe", () => {
  it("drops userinfo and query values, keeping what helps to find the endpoint", () => {
    expect(OtlpEndpoint.describe("https://user:secret@otel.example.com:4318/v1/traces?api_key=k123&tenant=t9"))
      .toBe("https://otel.example.com:4318/v1/traces?api_key=***&tenant=***")
    expect(OtlpEndpoint.describe("not a url://user:secret@x/?token=abc")).not.toContain("abc")
    expect(OtlpEndpoint.describe("http://user:secret@x y/?token=abc")).toBe("http://x y/?token=***")
    expect(OtlpEndpoint.describe(ok({}))).toBe("http://localhost:4318/v1/traces")
  })
})
