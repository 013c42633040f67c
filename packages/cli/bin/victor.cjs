#!/usr/bin/env node
// The `victor` command: runs the bundled CLI (dist/victor.cjs, one script), building it first if this checkout has
// never been built.
//
// The script is compiled with V8's code cache (dist/victor.cache): the functions an earlier run compiled come back
// as bytecode instead of being parsed and compiled again, which is most of a short command's start-up (a 1-node
// `workflow run` 240 -> 120 ms). Node 22's module compile cache does the same; Node 20, the floor, has only vm.Script.
// The build trains the cache on a few commands (VICTOR_CODE_CACHE=train: each rewrites it when it ends); a cache V8
// rejects (another Node, other V8 flags) or one for an older bundle is written anew when the command ends. Without the
// cache everything works, only slower.
//
// A CommonJS file: Node starts one a few milliseconds sooner than an ES module, whose loader it would first set up.
"use strict"
const { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } =
  require("node:fs")
const { createRequire } = require("node:module")
const { join } = require("node:path")
const vm = require("node:vm")

const distDir = join(__dirname, "..", "dist")
const bundlePath = join(distDir, "victor.cjs")
const cachePath = join(distDir, "victor.cache")

if (!existsSync(bundlePath)) {
  require("node:child_process").execFileSync(process.execPath, [join(__dirname, "..", "scripts", "build.mjs")], { stdio: "inherit" })
}
const args = process.argv.slice(2)
// The version without compiling the bundle.
if (args.length === 1 && args[0] === "--version") console.log(require("../dist/version.cjs").VERSION)
else run()

function run() {
  const fd = openSync(bundlePath, "r")
  const stat = fstatSync(fd)
  const source = Buffer.allocUnsafe(stat.size)
  for (let at = 0; at < stat.size;) at += readSync(fd, source, at, stat.size - at, at)
  closeSync(fd)
  // V8 checks a cache against its own version, its flags and the source's length only: the bundle's size and time
  // and Node's version name the bundle the cache was made from.
  const key = Buffer.from(`victor-code-cache ${stat.size} ${stat.mtimeMs} ${process.version} ${process.arch}\n`)
  const cachedData = readCache(key)
  const script = compile(source.toString("utf8"), cachedData)
  // The bundle's import() of a plugin (this file's import() is Node's own): Node 20 drops a vm script's dynamic-import
  // callback when the script comes from a code cache (see src/internal/importModule.ts).
  globalThis[Symbol.for("@victor/cli/importModule")] = (specifier) => import(specifier)
  const bundleModule = { exports: {} }
  const train = process.env.VICTOR_CODE_CACHE === "train"
  if (train || cachedData === undefined || script.cachedDataRejected === true) {
    // Written when the command ends, so that it holds every function this run compiled.
    process.once("exit", () => writeCache(key, script))
  }
  script.runInThisContext()(bundleModule.exports, createRequire(bundlePath), bundleModule, bundlePath, distDir)
}

function readCache(key) {
  let bytes
  try {
    bytes = readFileSync(cachePath)
  } catch {
    return undefined
  }
  return bytes.length > key.length && bytes.subarray(0, key.length).equals(key) ? bytes.subarray(key.length) : undefined
}

function compile(source, cachedData) {
  // Node's module wrapper on a line of its own, so that the bundle's lines (and its source map) keep their numbers.
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) {\n${source}\n})`, {
    filename: bundlePath,
    lineOffset: -1,
    cachedData
  })
}

function writeCache(key, script) {
  // Written aside and renamed over the cache: a command starting meanwhile reads the old cache or the new one whole.
  const temporary = `${cachePath}.${process.pid}`
  try {
    writeFileSync(temporary, Buffer.concat([key, script.createCachedData()]))
    renameSync(temporary, cachePath)
  } catch {
    // A read-only install (or a full disk) keeps running without a cache.
    try {
      rmSync(temporary, { force: true })
    } catch {
      // Nothing was written.
    }
  }
}
