import type { BenchProcess } from './processes'
import { fmt, table } from './stats'

/**
 * The RSS of each process with its descendants (Claudescope's embedded database runs in a child):
 * idle when the watch starts, before any load; the peak sampled every `intervalMs` while loads
 * run; and after them.
 */
export class MemoryWatch {
  readonly #processes: BenchProcess[]
  readonly #idleMiB: Map<BenchProcess, number>
  readonly #peakMiB: Map<BenchProcess, number>
  readonly #timer: NodeJS.Timeout

  constructor(processes: BenchProcess[], intervalMs = 250) {
    this.#processes = processes
    this.#idleMiB = new Map(processes.map((p) => [p, p.treeRssMiB()]))
    this.#peakMiB = new Map(this.#idleMiB)
    this.#timer = setInterval(() => this.#sample(), intervalMs).unref()
  }

  /** Stops sampling; the table of idle, peak and after, in MiB. */
  finish(): string {
    clearInterval(this.#timer)
    this.#sample()
    const rows = this.#processes.map((p) => {
      const after = p.treeRssMiB()
      return [p.name, fmt(this.#idleMiB.get(p)!, 0), fmt(this.#peakMiB.get(p)!, 0), fmt(after, 0), fmt(p.rssMiB(), 0)]
    })
    return table(['process tree', 'idle MiB', 'peak under load MiB', 'after MiB', 'after, main process only MiB'], rows)
  }

  #sample(): void {
    for (const p of this.#processes) this.#peakMiB.set(p, Math.max(this.#peakMiB.get(p)!, p.treeRssMiB()))
  }
}
