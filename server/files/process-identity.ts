import { readFileSync, readlinkSync } from 'node:fs'
import os from 'node:os'

/**
 * Who a process is, precisely enough to tell from another process whether it still runs: a pid
 * alone is ambiguous across containers (each pid namespace numbers from 1) and over time (pids are
 * reused). Recorded in lock files; see `exclusive-lock.ts`.
 */
export interface ProcessIdentity {
  pid: number
  /** For people reading the lock file; not used to decide anything (containers may share one). */
  hostname: string
  /** The running kernel: its boot id on Linux, else hostname plus boot time. Another value: another machine, or a reboot. */
  kernel: string
  /** The pid namespace (`pid:[4026531836]`); pids can be checked only from the same one. Empty where unknown. */
  pidNamespace: string
  /** Start time of the process in clock ticks since boot, which tells a reused pid apart. Null where unknown. */
  startTicks: string | null
}

let self: ProcessIdentity | undefined

/** This process's identity (computed once). */
export function currentProcessIdentity(): ProcessIdentity {
  return (self ??= {
    pid: process.pid,
    hostname: os.hostname(),
    kernel: readOrNull(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()) ?? `${os.hostname()}@${Math.round((Date.now() / 1000 - os.uptime()) / 60)}`,
    pidNamespace: readOrNull(() => readlinkSync('/proc/self/ns/pid')) ?? '',
    startTicks: startTicksOf(process.pid),
  })
}

/**
 * Whether `other` is a process still running, judged from this process. Null when this process
 * cannot tell: `other` runs under another kernel or in another pid namespace.
 */
export function isRunning(other: ProcessIdentity): boolean | null {
  const me = currentProcessIdentity()
  if (other.kernel !== me.kernel || other.pidNamespace !== me.pidNamespace) return null
  if (other.pid === me.pid) return other.startTicks === me.startTicks
  if (other.startTicks !== null && me.startTicks !== null) return startTicksOf(other.pid) === other.startTicks
  try {
    process.kill(other.pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Field 22 of /proc/<pid>/stat; the command name before it may hold spaces and parentheses. */
function startTicksOf(pid: number): string | null {
  const stat = readOrNull(() => readFileSync(`/proc/${pid}/stat`, 'utf8'))
  if (stat === null) return null
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
}

function readOrNull<T>(read: () => T): T | null {
  try {
    return read()
  } catch {
    return null
  }
}
