import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fmt, table } from './stats'

const ROOT = path.resolve(__dirname, '../..')
const TOP_FUNCTIONS = 15

/** The parts of V8's .cpuprofile format (what `node --cpu-prof` writes) that a summary reads. */
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[]
  /** Microseconds of the monotonic clock (the one `process.hrtime` reads), as are the deltas. */
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

interface CallFrame {
  functionName: string
  url: string
  /** 0-based. */
  lineNumber: number
}

/** A span of the monotonic clock in microseconds, as `process.hrtime.bigint() / 1000n` reads it. */
export interface ProfileWindow {
  fromUs: number
  toUs: number
}

/** Microseconds of the monotonic clock, comparable with a profile's timestamps. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

const SPECIAL = new Map([
  ['(idle)', 'idle'],
  ['(garbage collector)', 'GC'],
  ['(program)', '(program): V8 and native code'],
])

/** The folder of ours, package, or part of Node a frame belongs to. */
function groupOf({ functionName, url }: CallFrame): string {
  const special = SPECIAL.get(functionName)
  if (special) return special
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]
  if (pkg) return /^pg(-|$)/.test(pkg) ? 'pg' : pkg
  if (url.startsWith('node:internal/deps/undici')) return 'undici'
  if (url.startsWith('node:')) return 'node internals'
  // The main process runs no wasm of its own: undici parses HTTP responses with llhttp compiled to wasm.
  if (url.startsWith('wasm://')) return 'wasm (undici\'s llhttp)'
  const folder = /\/server\/(?:([^/]+)\/)?.+$/.exec(url)
  if (folder) return folder[1] ? `server/${folder[1]}` : 'server'
  return url === '' ? 'native: V8 builtins (JSON, RegExp, …) and Node bindings (socket writes, …)' : 'other'
}

const whereOf = ({ url, lineNumber }: CallFrame) => {
  if (url === '') return '(native)'
  const file = url.startsWith('file://') ? path.relative(ROOT, new URL(url).pathname) : url
  return `${file}:${lineNumber + 1}`
}

/** A profile's samples in time order: when each was taken, the time it stands for (until the next one), and its frame. */
function timedSamples(file: string): { atUs: number; us: number; frame: CallFrame }[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  let atUs = profile.startTime
  return profile.samples.map((node, i) => {
    atUs += profile.timeDeltas[i]!
    return { atUs, us: profile.timeDeltas[i + 1] ?? 0, frame: frames.get(node)! }
  })
}

/**
 * Where a process's time went within `window`: self time by group (our folders, packages, Node,
 * GC, idle) and the top functions, as markdown. Each sample counts the time until the next one.
 */
export function summariseProfile(file: string, window: ProfileWindow): string {
  const byGroup = new Map<string, number>()
  const byFunction = new Map<string, { frame: CallFrame; us: number }>()
  let windowUs = 0
  for (const { atUs, us, frame } of timedSamples(file)) {
    if (atUs < window.fromUs || atUs > window.toUs) continue
    windowUs += us
    const group = groupOf(frame)
    byGroup.set(group, (byGroup.get(group) ?? 0) + us)
    if (group === 'idle') continue
    const key = `${frame.functionName}@${frame.url}:${frame.lineNumber}`
    const entry = byFunction.get(key) ?? { frame, us: 0 }
    entry.us += us
    byFunction.set(key, entry)
  }
  const busyUs = windowUs - (byGroup.get('idle') ?? 0)
  const ms = (us: number) => fmt(us / 1000, 0)
  const share = (us: number) => fmt((100 * us) / busyUs, 1)
  const groups = [...byGroup].filter(([group]) => group !== 'idle').sort((a, b) => b[1] - a[1])
  const top = [...byFunction.values()].sort((a, b) => b.us - a.us).slice(0, TOP_FUNCTIONS)
  return [
    `${ms(windowUs)} ms sampled, ${ms(busyUs)} ms busy (${fmt((100 * busyUs) / windowUs, 0)} %), the rest idle. Shares are of the busy time.`,
    table(['where', 'self ms', '%'], groups.map(([group, us]) => [group, ms(us), share(us)])),
    table(['function', 'file:line', 'self ms', '%'], top.map(({ frame, us }) => [frame.functionName || '(anonymous)', whereOf(frame), ms(us), share(us)])),
  ].join('\n\n')
}

/** Share of the requests, the slowest, whose time is compared with the middle ones'. */
const TAIL_SHARE = 0.1

/**
 * What the main thread did while the slowest tenth of `requests` (a load's spans, e.g. the latency
 * scenario's) were in flight, against the middle fifth (40th to 60th percentile): microseconds
 * per request by group, idle included. Idle time inside a slow request is time it spent outside
 * this process: in the client, upstream, the kernel, or waiting for a core other processes held.
 * Needs a sampling interval well below a request's duration (the bench profiles at 100 µs).
 */
export function summariseLatencyTail(file: string, requests: readonly ProfileWindow[]): string {
  const samples = timedSamples(file).map(({ atUs, us, frame }) => ({ atUs, us, group: groupOf(frame) }))
  const spans = [...requests].sort((a, b) => a.fromUs - b.fromUs)
  const groupsOf = spans.map(() => new Map<string, number>())
  let first = 0
  for (const [index, span] of spans.entries()) {
    while (first < samples.length && samples[first]!.atUs < span.fromUs) first++
    const groups = groupsOf[index]!
    for (let i = first; i < samples.length && samples[i]!.atUs <= span.toUs; i++) groups.set(samples[i]!.group, (groups.get(samples[i]!.group) ?? 0) + samples[i]!.us)
  }
  const byDuration = spans.map((span, index) => ({ us: span.toUs - span.fromUs, groups: groupsOf[index]! })).sort((a, b) => a.us - b.us)
  const slowest = byDuration.slice(Math.floor(byDuration.length * (1 - TAIL_SHARE)))
  const middle = byDuration.slice(Math.floor(byDuration.length * 0.4), Math.ceil(byDuration.length * 0.6))
  if (slowest.length === 0 || middle.length === 0) return 'Too few requests to compare the slowest with the middle ones.'
  const perRequest = (set: typeof slowest) => {
    const sums = new Map<string, number>()
    for (const { groups } of set) for (const [group, us] of groups) sums.set(group, (sums.get(group) ?? 0) + us)
    return new Map([...sums].map(([group, us]) => [group, us / set.length]))
  }
  const slow = perRequest(slowest)
  const typical = perRequest(middle)
  const groups = [...new Set([...slow.keys(), ...typical.keys()])].sort((a, b) => (slow.get(b) ?? 0) - (slow.get(a) ?? 0))
  const us = (value: number | undefined) => fmt(value ?? 0, 0)
  return [
    `${requests.length} requests: the slowest tenth took ${fmt(slowest[0]!.us / 1000, 3)} ms or more, the middle fifth ${fmt(middle[0]!.us / 1000, 3)}–${fmt(middle.at(-1)!.us / 1000, 3)} ms. ` +
      'What the main thread did meanwhile, per request (idle: the request was outside this process):',
    table(['where', 'slowest tenth µs', 'middle fifth µs'], groups.filter((group) => (slow.get(group) ?? 0) >= 1 || (typical.get(group) ?? 0) >= 1).map((group) => [group, us(slow.get(group)), us(typical.get(group))])),
  ].join('\n\n')
}
