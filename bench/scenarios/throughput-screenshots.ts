import { conversationLoad } from '../lib/conversation'
import { measureThroughput, type ThroughputOptions } from '../lib/throughput'
import type { Target } from '../lib/target'

export interface ScreenshotLoadOptions extends ThroughputOptions {
  /** Every this many turns a conversation's new user message opens with a screenshot. */
  screenshotEvery: number
  /** Bytes of a screenshot's base64. */
  screenshotBytes: number
  maxBytes: number
}

/**
 * Conversations as in the throughput scenario, with a screenshot (random base64, as incompressible
 * as a PNG) pasted every few turns: what a new image costs capture and its database, beyond the
 * text around it. Each screenshot is new content, stored once, then resent with the history.
 */
export function throughputScreenshots(targets: Target[], options: ScreenshotLoadOptions = { count: 400, concurrency: 4, screenshotEvery: 5, screenshotBytes: 400 * 1024, maxBytes: 3 * 1024 * 1024 }): Promise<string> {
  const { concurrency, maxBytes, screenshotEvery, screenshotBytes } = options
  const heading = `Conversations with a ${Math.round(screenshotBytes / 1024)} KB screenshot every ${screenshotEvery} turns, bodies growing to ${Math.round(maxBytes / 1024 / 1024)} MB`
  return measureThroughput(targets, heading, (count, seed) => conversationLoad(count, seed, concurrency, maxBytes, { screenshotEvery, screenshotBytes }), options)
}
