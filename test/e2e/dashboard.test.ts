import { mkdirSync } from 'node:fs'
import path from 'node:path'
import Anthropic from '@anthropic-ai/sdk'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { appInBrowser, hasChromium, openDashboard as openDashboardPage, ROOT } from '../support/browser'
import { sdkClient } from '../support/sdk-client'
import { waitFor } from '../support/wait'

const SCREENSHOT = path.join(ROOT, 'docs/screenshot.png')

describe.skipIf(!hasChromium)('dashboard in a real browser', () => {
  const dashboard = appInBrowser()

  const openDashboard = () => openDashboardPage(dashboard.browser, dashboard.app)

  it('shows the empty state, then a request sent through the proxy appears live, finishes in place and opens in the detail panel', async () => {
    const { page, problems } = await openDashboard()
    await page.getByText(`ANTHROPIC_BASE_URL=${dashboard.app.url} claude`).waitFor()
    // A reload would lose this marker: the row must arrive over the subscription.
    await page.evaluate(() => Object.assign(window, { loadedOnce: true }))

    const anthropic = sdkClient(dashboard.app.url)
    const prompt = 'Say hello to the dashboard test'
    const stream = anthropic.messages.stream(
      { model: 'claude-sonnet-4-6', max_tokens: 256, messages: [{ role: 'user', content: prompt }] },
      { headers: { 'x-mock-delay-ms': '200', 'x-mock-events': '8' } },
    )
    const row = page.locator('tbody tr')
    await row.filter({ hasText: 'In flight' }).waitFor()
    const message = await stream.finalMessage()
    await row.filter({ hasText: 'Completed' }).waitFor()
    expect(await row.count()).toBe(1)
    expect(await row.textContent()).toContain('claude-sonnet-4-6')
    expect(await row.textContent()).toContain('200')
    expect(await page.evaluate(() => (window as { loadedOnce?: boolean }).loadedOnce)).toBe(true)

    await row.getByRole('button').click()
    const detail = page.locator('aside')
    const answer = message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join('')
    await detail.getByText(prompt).waitFor()
    await detail.getByText(answer.slice(0, 24)).waitFor()
    // The stored record, which the live list may announce before the writer has stored it.
    await detail.getByText(stream.request_id!).first().waitFor()

    if (process.env.UPDATE_SCREENSHOT === '1') await saveScreenshot(page, anthropic)
    expect(problems).toEqual([])
    await page.close()
  }, 60_000)

  it('shows an Edit call in the detail as a diff beside its result, and hostile markdown as inert text', async () => {
    const { page, problems } = await openDashboard()
    const hostile = 'Check [this](javascript:alert(1)) and [docs](https://example.com/docs) <img src=x onerror="window.hacked=1"> <script>window.hacked=2</script> ![pixel](https://tracker.invalid/p.gif)'
    await sdkClient(dashboard.app.url).messages.create({
      model: 'claude-sonnet-4-6',
      max_tokens: 64,
      messages: [
        { role: 'user', content: 'Raise the limit' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_e2e', name: 'Edit', input: { file_path: '/src/app.ts', old_string: 'const LIMIT = 1\nexport { LIMIT }', new_string: 'const LIMIT = 2\nexport { LIMIT }' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_e2e', content: 'The file /src/app.ts has been updated.' }, { type: 'text', text: hostile }] },
      ],
    })
    const row = page.locator('tbody tr').filter({ hasText: 'Completed' }).first()
    await row.waitFor()
    await row.getByRole('button').click()
    const detail = page.locator('aside')
    const call = detail.locator('#tool-use-toolu_e2e')
    await call.locator('.removed').getByText('const LIMIT = 1').waitFor()
    expect(await call.locator('.added').textContent()).toContain('const LIMIT = 2')
    expect(await call.locator('.block-tool-result').textContent()).toContain('The file /src/app.ts has been updated.')

    // The hostile text arrives as text: markdown-it and DOMPurify both ran in a real browser.
    await detail.getByText('<script>window.hacked=2</script>', { exact: false }).waitFor()
    expect(await detail.locator('img, script, svg, [onerror]').count()).toBe(0)
    expect(await detail.locator('a[href^="javascript"]').count()).toBe(0)
    const docs = detail.getByRole('link', { name: 'docs' })
    expect(await docs.getAttribute('rel')).toBe('noopener noreferrer')
    expect(await docs.getAttribute('target')).toBe('_blank')
    expect(await detail.getByRole('link', { name: 'image: pixel' }).getAttribute('href')).toBe('https://tracker.invalid/p.gif')
    expect(await page.evaluate(() => (window as { hacked?: number }).hacked)).toBeUndefined()
    expect(problems).toEqual([])
    await page.close()
  }, 60_000)

  /** A handful of varied requests so the README shows the list as it looks in use. */
  async function saveScreenshot(page: Page, anthropic: Anthropic): Promise<void> {
    await page.locator('aside header button').click()
    await anthropic.messages.create({ model: 'claude-haiku-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'Title for this chat?' }] })
    await anthropic.messages
      .create({ model: 'claude-opus-4-6', max_tokens: 64, messages: [{ role: 'user', content: 'Busy?' }] }, { headers: { 'x-mock-scenario': 'rate-limited' } })
      .catch(() => undefined)
    await anthropic.messages.create(
      { model: 'claude-sonnet-4-6', max_tokens: 1024, stream: true, messages: [{ role: 'user', content: 'List the files in src/' }] },
      { headers: { 'x-mock-scenario': 'stream-tool-use' } },
    )
    await page.locator('tbody tr').nth(3).waitFor()
    await page.locator('tbody tr').first().getByRole('button').click()
    await page.locator('aside').getByText('tool_use').first().waitFor()
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true })
    await page.screenshot({ path: SCREENSHOT })
  }
})
