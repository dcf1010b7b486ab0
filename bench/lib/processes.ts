import { spawn, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'

const ROOT = path.resolve(__dirname, '../..')
const CLOCK_TICKS_PER_S = 100

/** A server the benchmark started as its own process, so its CPU and memory can be read apart. */
export interface BenchProcess {
  name: string
  url: string
  child: ChildProcess
  /** User + system CPU seconds used so far (from /proc). */
  cpuSeconds(): number
  /** The same for its descendants (Claudescope's embedded database runs in one). */
  descendantsCpuSeconds(): number
  /**
   * `cpuSeconds()` split: its main thread's (the event loop, and the collector's work on it), and
   * all its other threads' (V8's helpers for garbage collection and compiling, libuv's pool).
   */
  threadCpuSeconds(): ThreadCpuSeconds
  /** Resident set size in MiB (from /proc). */
  rssMiB(): number
  /** Resident set size of the process and all its descendants (the embedded database's among them), in MiB. */
  treeRssMiB(): number
  /** SIGTERM, then SIGKILL if it has not exited 15 s later. */
  stop(): Promise<void>
}

export interface ThreadCpuSeconds {
  mainThread: number
  otherThreads: number
}

/** User + system CPU seconds in a /proc `stat` file, of a process (all its threads) or of one thread. */
function cpuSecondsIn(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S
}

const cpuSecondsOf = (pid: number) => cpuSecondsIn(`/proc/${pid}/stat`)

/**
 * A thread's figures leave /proc when it exits, so `otherThreads` is the process's total less its
 * main thread's, the total read second (never less than what was read of it first).
 */
function threadCpuSecondsOf(pid: number): ThreadCpuSeconds {
  const mainThread = cpuSecondsIn(`/proc/${pid}/task/${pid}/stat`)
  return { mainThread, otherThreads: cpuSecondsOf(pid) - mainThread }
}

/**
 * User + system CPU seconds of a process that may exit while it is read (a database backend, a
 * child): 0 once it has. A started process's own figure throws instead, so a crash mid-run is not
 * read as idle.
 */
export const cpuSecondsIfRunning = (pid: number) => fromProc(() => cpuSecondsOf(pid), 0)

/** A /proc read, or `gone` when the process has exited meanwhile. */
function fromProc<T>(read: () => T, gone: T): T {
  try {
    return read()
  } catch {
    return gone
  }
}

const rssKiBOf = (pid: number) => fromProc(() => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0), 0)

/** `pid` and its descendants, from each thread's `children` list in /proc (any thread may have forked). */
function processTree(pid: number): number[] {
  const tree = [pid]
  for (let i = 0; i < tree.length; i++) {
    for (const task of fromProc(() => readdirSync(`/proc/${tree[i]}/task`), [])) {
      const children = fromProc(() => readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8'), '')
      tree.push(...children.split(' ').filter(Boolean).map(Number))
    }
  }
  return tree
}

/**
 * V8 flag for the processes the bench starts. The memory reducer shrinks a process's heap once it
 * has been idle for about 8 s, and V8 then grows the heap slowly: the next load runs three or four
 * times as many major collections (38 against 9 to 13 in 1,500 conversation requests), at up to
 * twice the CPU per request. The bench's targets take turns, so each sits idle while the others
 * run, some longer than others (the first listed longest between its two rounds, the last listed
 * not at all): with the reducer, a target's place in the list weighed more than most changes. A
 * process under steady load never goes idle, so without it the bench measures that steady state.
 */
const NO_MEMORY_REDUCER = '--no-memory-reducer'

/**
 * Starts `node [nodeArgs] <args>` and waits until `readUrl` finds the listening URL in its stdout.
 * TypeScript entry points run through swc-node (decorator metadata included).
 *
 * Every process runs without V8's memory reducer (NO_MEMORY_REDUCER).
 */
export async function startProcess(name: string, args: string[], env: Record<string, string>, readUrl: (line: string) => string | null, nodeArgs: string[] = []): Promise<BenchProcess> {
  const execArgs = [NO_MEMORY_REDUCER, ...nodeArgs, ...(args[0]!.endsWith('.ts') ? ['-r', '@swc-node/register'] : []), ...args]
  const child = spawn(process.execPath, execArgs, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)))
  const url = await new Promise<string>((resolve, reject) => {
    let buffered = ''
    const onData = (d: Buffer) => {
      buffered += d.toString()
      for (const line of buffered.split('\n')) {
        const found = readUrl(line)
        if (found) {
          child.stdout!.off('data', onData)
          child.stdout!.resume()
          return resolve(found)
        }
      }
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening:\n${stderr}`)))
  })
  return {
    name,
    url,
    child,
    cpuSeconds: () => cpuSecondsOf(child.pid!),
    threadCpuSeconds: () => threadCpuSecondsOf(child.pid!),
    descendantsCpuSeconds: () => processTree(child.pid!).slice(1).reduce((sum, pid) => sum + cpuSecondsIfRunning(pid), 0),
    rssMiB: () => rssKiBOf(child.pid!) / 1024,
    treeRssMiB: () => processTree(child.pid!).reduce((sum, pid) => sum + rssKiBOf(pid), 0) / 1024,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        const kill = setTimeout(() => child.kill('SIGKILL'), 15_000)
        child.once('exit', () => {
          clearTimeout(kill)
          resolve()
        })
        child.kill('SIGTERM')
      }),
  }
}

/** A port number printed alone on a line. */
export const portLine = (line: string) => (/^\d+$/.test(line.trim()) ? `http://127.0.0.1:${line.trim()}` : null)

/** Claudescope's "claudescope listening" JSON log line. */
export const claudescopeLine = (line: string) => {
  if (!line.includes('claudescope listening')) return null
  return (JSON.parse(line) as { url: string }).url
}
