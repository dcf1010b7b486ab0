import type { InjectionKey } from 'vue'

/** Provided as true around blocks still arriving: folded views (thinking) show their content open while it streams. */
export const streamingBlocksKey: InjectionKey<boolean> = Symbol('streaming-blocks')
