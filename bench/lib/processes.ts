import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
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
  /** Resident set size in MiB (from /proc). */
  rssMiB(): number
  /** Resident set size of its descendants (the embedded database's process), added up, in MiB. */
  descendantsRssMiB(): number
  stop(): Promise<void>
}

function procStat(pid: number): { cpuSeconds: number; rssMiB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0)
  return { cpuSeconds, rssMiB: rssKiB / 1024 }
}

/** Every process below `pid`, from /proc's children lists. */
function descendants(pid: number): number[] {
  let children: number[]
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return [] // it has just exited
  }
  return children.flatMap((child) => [child, ...descendants(child)])
}

/**
 * Starts `node <args>` and waits until `readUrl` finds the listening URL in its stdout.
 * TypeScript entry points run through swc-node (decorator metadata included).
 */
export async function startProcess(name: string, args: string[], env: Record<string, string>, readUrl: (line: string) => string | null): Promise<BenchProcess> {
  const execArgs = args[0]!.endsWith('.ts') ? ['-r', '@swc-node/register', ...args] : args
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
    cpuSeconds: () => procStat(child.pid!).cpuSeconds,
    rssMiB: () => procStat(child.pid!).rssMiB,
    descendantsRssMiB: () => descendants(child.pid!).reduce((sum, pid) => sum + procStat(pid).rssMiB, 0),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 15_000).unref()
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
