import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { appInBrowser, hasChromium, openDashboard, ROOT } from '../support/browser'
import { MOCK_HEADERS } from '../support/mock-upstream'
import { sdkClient } from '../support/sdk-client'

/** Small enough for the docs, large enough to show the list beside the detail. */
const VIEWPORT = { width: 1280, height: 800 }
/** The README's screenshots are rewritten only when asked, so a test run leaves the checkout as it was. */
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOT === '1'
const SCREENSHOTS = { requests: path.join(ROOT, 'docs/screenshot-requests.png'), live: path.join(ROOT, 'docs/screenshot-live.png') }

describe.skipIf(!hasChromium)('live requests in a real browser', () => {
  const dashboard = appInBrowser()

  it('follows a new stream token by token before it ends, then shows its stored detail without a reload, all by keyboard', async () => {
    const { page, problems } = await openDashboard(dashboard.browser, dashboard.app, VIEWPORT)
    const anthropic = sdkClient(dashboard.app.url)
    await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Title for this chat?' }] })
    await anthropic.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 256, stream: true, messages: [{ role: 'user', content: 'Think first' }] }, { headers: { [MOCK_HEADERS.scenario]: 'stream-thinking' } })
    await page.locator('tbody tr.request-row').nth(1).waitFor()
    // A reload would lose this marker: the stream must turn into its detail in place.
    await page.evaluate(() => Object.assign(window, { loadedOnce: true }))
    await page.getByLabel('Follow newest').check()

    // The mock holds the stream after the text block and the first piece of the tool input (message_start,
    // ping, text start, 2 text deltas, text stop, tool start, 2 input deltas) until the browser showed them.
    const stream = anthropic.messages.stream(
      { model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [{ role: 'user', content: 'Look up account 12345678901234567890' }] },
      { headers: { [MOCK_HEADERS.scenario]: 'stream-tool-use', [MOCK_HEADERS.gate]: 'live-view', [MOCK_HEADERS.holdAfter]: '9' } },
    )
    // Awaited once the gate is open; a failure before that must not go unhandled.
    const finalMessage = stream.finalMessage()
    finalMessage.catch(() => {})
    const live = page.locator('aside .live-response')
    await live.getByText('I will look up that account.').waitFor()
    await live.locator('.block-tool-use').getByText('{"account_id": 1234567').waitFor()
    expect(await live.getByRole('status').textContent()).toContain('Streaming…')
    const held = dashboard.app.upstream.requests.at(-1)!
    expect(held.response.finished).toBe(false)
    expect(held.response.chunks).toHaveLength(9)
    if (UPDATE_SCREENSHOTS) {
      mkdirSync(path.dirname(SCREENSHOTS.live), { recursive: true })
      await page.screenshot({ path: SCREENSHOTS.live })
    }

    dashboard.app.upstream.openGate('live-view')
    const message = await finalMessage
    expect(message.stop_reason).toBe('tool_use')
    const detail = page.locator('aside')
    await detail.locator('h2').getByText('Completed').waitFor()
    await detail.locator('section[aria-labelledby="detail-response"] .block-tool-use').getByText('café ☕').waitFor()
    expect(await live.count()).toBe(0)
    expect(await page.evaluate(() => (window as { loadedOnce?: boolean }).loadedOnce)).toBe(true)

    // Keyboard: Escape closes, j/k move the cursor (left on the request just closed, the first row) over the rows, Enter opens the one under it.
    await page.getByLabel('Follow newest').uncheck()
    await page.keyboard.press('Escape')
    await detail.waitFor({ state: 'detached' })
    await page.keyboard.press('j')
    await page.keyboard.press('j')
    await page.keyboard.press('k')
    await page.locator('tr.request-row.cursor[aria-rowindex="3"]').waitFor()
    await page.keyboard.press('Enter')
    await detail.locator('h2').getByText('claude-sonnet-4-6').waitFor()
    await detail.getByText('Think first').waitFor()
    if (UPDATE_SCREENSHOTS) await page.screenshot({ path: SCREENSHOTS.requests })
    expect(problems).toEqual([])
    await page.close()
  }, 120_000)
})
