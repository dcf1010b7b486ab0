/**
 * The conversation and usage pages in a real Chromium: a Claude Code-shaped session (a subagent, side
 * calls) sent through a whole Claudescope with the official SDK must appear as a thread with the
 * subagent nested under its Task call, and the usage chart must draw today's tokens equal to the
 * tokens the SDK was told it used.
 */
import { mkdirSync } from 'node:fs'
import path from 'node:path'
import type Anthropic from '@anthropic-ai/sdk'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { claudeCodeSession, type SessionTruth } from '../support/claude-code-traffic'
import { ensureClientBuilt, hasChromium, launchChromium, ROOT } from '../support/browser'
import { MOCK_HEADERS } from '../support/mock-upstream'
import { sdkClient } from '../support/sdk-client'
import { startApp, type TestApp } from '../support/start-app'

/** The README's screenshots are rewritten only when asked, so a test run leaves the checkout as it was. */
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOT === '1'

const VIEWPORT = { width: 1280, height: 800 }

describe.skipIf(!hasChromium)('conversation and usage pages in a real browser', () => {
  let app: TestApp
  let browser: Browser
  let truth: SessionTruth
  /** Every token the SDK was told each call used: input, cache writes, cache reads and output. */
  let tokensUsed = 0
  const sessionId = '5f0c9a7e-2b1d-4c3e-8f6a-1d2e3f4a5b6c'

  beforeAll(async () => {
    ensureClientBuilt()
    app = await startApp()
    browser = await launchChromium()
    const session = claudeCodeSession({ sessionId, mainTurns: 6, spawnAt: [2], subagentTurns: 2, prompt: 'Move the price table to its own module', model: 'claude-sonnet-4-6' })
    truth = session.truth
    const client = sdkClient(app.url)
    // The 5-hour window fills as the session goes on, so the quota has something to attribute.
    let utilization = 0.1
    for (const call of session.calls) {
      utilization += 0.01
      const options = { headers: { ...call.headers, [MOCK_HEADERS.responseHeaders]: JSON.stringify({ 'anthropic-ratelimit-unified-5h-utilization': utilization.toFixed(2) }) } }
      if (call.path.endsWith('/count_tokens')) {
        await client.messages.countTokens(call.body as never, options)
        continue
      }
      const message: Anthropic.Message = call.body.stream === true ? await client.messages.stream(call.body as never, options).finalMessage() : await client.messages.create(call.body as never, options)
      const usage = message.usage
      tokensUsed += usage.input_tokens + (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0) + usage.output_tokens
    }
    await app.app.capture.flush()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await app?.close()
  })

  /** A page whose script errors fail the test. */
  async function open(address: string): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: VIEWPORT })
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(error.message))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text())
    })
    await page.goto(`${app.url}${address}`)
    return { page, problems }
  }

  it('lists the driven conversation and opens its thread with the subagent nested under the Task call that spawned it', async () => {
    const { page, problems } = await open('/conversations')
    const link = page.getByRole('link', { name: truth.title })
    await link.waitFor()
    await link.click()
    await page.waitForURL(/\/conversations\/[^/]+$/)

    const mainThread = page.locator('.main-thread > .thread-view')
    await mainThread.locator(':scope > .turn').first().waitFor()
    expect(await mainThread.locator(':scope > .turn').count()).toBe(truth.threads.main!.requestCount)
    const subagentTruth = truth.threads['agent-1']!
    const spawning = mainThread.locator(':scope > .turn > .message', { has: page.locator(`#tool-use-${subagentTruth.parentToolUseId}`) })
    const subagent = spawning.locator('details.subagent')
    expect(await subagent.count()).toBe(1)
    expect(await subagent.locator(':scope > summary').textContent()).toContain(`${subagentTruth.requestCount} requests`)
    expect(await subagent.locator(':scope > .thread-view > .turn').count()).toBe(subagentTruth.requestCount)
    // The Task call links to the nested thread, and keyboard users reach its toggle.
    const threadLink = spawning.locator(`#tool-use-${subagentTruth.parentToolUseId} a.thread`)
    expect(await threadLink.getAttribute('href')).toBe(`#${await subagent.getAttribute('id')}`)
    await subagent.locator(':scope > summary').focus()
    await page.keyboard.press('Enter')
    expect(await subagent.evaluate((element) => (element as HTMLDetailsElement).open)).toBe(false)
    await page.keyboard.press('Enter')

    // Each thread's first request had nothing cached to read: the conversation's cache misses say so.
    expect(await page.locator('.conversation-overview [data-reason="FIRST_TURN"]').textContent()).toContain('first turn: 2 requests')
    expect(await mainThread.locator(':scope > .turn').first().locator('.cache-miss').textContent()).toContain('first turn')

    const sideCalls = page.locator('.side-calls tbody tr')
    const sideRequests = Object.values(truth.threads).filter((thread) => thread.kind === 'SIDE').reduce((sum, thread) => sum + thread.requestCount, 0)
    expect(await sideCalls.count()).toBe(sideRequests)
    expect(await mainThread.locator('.turn-summary a').first().getAttribute('href')).toMatch(/^\/requests\/[0-9a-f-]{36}$/)

    if (UPDATE_SCREENSHOTS) {
      mkdirSync(path.join(ROOT, 'docs'), { recursive: true })
      await page.evaluate(() => window.scrollTo(0, 0))
      await page.screenshot({ path: path.join(ROOT, 'docs/screenshot-conversations.png') })
    }
    expect(problems).toEqual([])
    await page.close()
  }, 60_000)

  it('charts today’s tokens equal to the tokens of the traffic driven, and shows the 5-hour window the session filled', async () => {
    const { page, problems } = await open('/usage')
    const tokensChart = page.locator('[data-chart="tokens"] [aria-label]').first()
    await tokensChart.waitFor()
    const description = (await tokensChart.getAttribute('aria-label')) ?? ''
    const today = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' }).format(new Date())
    // The chart's description lists each bucket's drawn values by model and the stack's total.
    const todays = new RegExp(`${today}: ([^;]*); total ([\\d,]+)\\.`).exec(description)
    expect(todays, description).not.toBeNull()
    const digits = (text: string) => Number(text.replace(/\D/g, ''))
    const byModel = todays![1]!.split(', ').map((part) => digits(part.split(' ').at(-1)!))
    expect(byModel.reduce((sum, value) => sum + value, 0)).toBe(tokensUsed)
    expect(digits(todays![2]!)).toBe(tokensUsed)
    expect(digits((await page.locator('[data-total="tokens"]').textContent()) ?? '')).toBe(tokensUsed)

    const fiveHour = page.locator('[data-window="5h"]')
    await fiveHour.waitFor()
    expect(await fiveHour.locator('[role="meter"]').getAttribute('aria-valuenow')).toBe(String(Math.round((0.1 + 0.01 * truth.requestCount) * 100)))
    expect(await fiveHour.locator('.reset-countdown').textContent()).toMatch(/^resets in \d+ h \d{2} min$/)
    expect(await fiveHour.locator('.shares').first().textContent()).toContain('claude-sonnet-4-6')
    // The one conversation driven used the window.
    expect(await fiveHour.locator('a[href^="/conversations/"]').count()).toBe(1)

    if (UPDATE_SCREENSHOTS) await page.screenshot({ path: path.join(ROOT, 'docs/screenshot-usage.png') })
    expect(problems).toEqual([])
    await page.close()
  }, 60_000)
})
