import { flushPromises } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import type { ConversationsPageVariables, ConversationSummary } from '../../client/src/graphql/conversation-documents'
import { conversationSummary } from '../support/dashboard-page-fixtures'
import { createFakeGraphQLServer } from '../support/fake-graphql-server'
import { mountDashboardPage } from './mount-dashboard-page'

/** A fake server holding `conversations`, most recently active first, paged by id cursors. */
function serverWith(conversations: ConversationSummary[], pageSize = 50) {
  return createFakeGraphQLServer({
    answers: {
      ConversationsPage: (variables) => {
        const { after, first, filter } = variables as ConversationsPageVariables
        const matching = conversations.filter((c) => !filter?.search || (c.title ?? '').toLowerCase().includes(filter.search.toLowerCase()))
        const start = after ? matching.findIndex((c) => c.id === after) + 1 : 0
        const nodes = matching.slice(start, start + Math.min(first ?? pageSize, pageSize))
        return { conversations: { nodes, pageInfo: { hasNextPage: start + nodes.length < matching.length, endCursor: nodes.at(-1)?.id ?? null }, totalCount: matching.length } }
      },
    },
  })
}

const rowTexts = (wrapper: Awaited<ReturnType<typeof mountDashboardPage>>) => wrapper.findAll('tbody tr').map((row) => row.text())

describe('conversations page', () => {
  it('lists each conversation with its title linking to its thread, models, requests, tokens, cost and last activity', async () => {
    const conversation = conversationSummary({ title: 'Refactor billing', models: ['claude-haiku-4-5', 'claude-sonnet-4-5'], requestCount: 12, costUsd: 1.5 })
    const wrapper = await mountDashboardPage('/conversations', serverWith([conversation]).provide)
    await flushPromises()

    const [row] = rowTexts(wrapper)
    expect(row).toContain('Refactor billing')
    expect(row).toContain('claude-haiku-4-5, claude-sonnet-4-5')
    expect(row).toContain('12')
    expect(row).toMatch(/1,200 \/ 345 \/ 9,000/)
    expect(row).toContain('$1.50')
    expect(wrapper.get('tbody a').attributes('href')).toBe(`/conversations/${conversation.id}`)
    expect(wrapper.text()).toContain('1 conversation')
    wrapper.unmount()
  })

  it('renders a hostile title as text, never as markup', async () => {
    const hostile = '<img src=x onerror="window.hacked=1"><script>window.hacked=2</script>'
    const wrapper = await mountDashboardPage('/conversations', serverWith([conversationSummary({ title: hostile })]).provide)
    await flushPromises()

    expect(wrapper.get('tbody a').text()).toBe(hostile)
    expect(wrapper.findAll('tbody img, tbody script')).toHaveLength(0)
    expect((window as { hacked?: number }).hacked).toBeUndefined()
    wrapper.unmount()
  })

  it('moves a conversation with a new turn to the top with its new totals, and adds a new one there', async () => {
    const older = conversationSummary({ title: 'Older' })
    const newer = conversationSummary({ title: 'Newer' })
    const server = serverWith([newer, older])
    const wrapper = await mountDashboardPage('/conversations', server.provide)
    await flushPromises()

    server.publish('ConversationUpdated', { conversationUpdated: { ...older, requestCount: 99 } })
    await flushPromises()
    expect(rowTexts(wrapper)).toHaveLength(2)
    expect(rowTexts(wrapper)[0]).toContain('Older')
    expect(rowTexts(wrapper)[0]).toContain('99')

    server.publish('ConversationUpdated', { conversationUpdated: conversationSummary({ title: 'Brand new' }) })
    await flushPromises()
    expect(wrapper.findAll('tbody .title').map((cell) => cell.text())).toEqual(['Brand new', 'Older', 'Newer'])
    expect(wrapper.text()).toContain('3 conversations')
    wrapper.unmount()
  })

  it('searches titles once typing pauses, and leaves out live conversations the search does not match', async () => {
    vi.useFakeTimers()
    try {
      const server = serverWith([conversationSummary({ title: 'Fix the billing bug' }), conversationSummary({ title: 'Write docs' })])
      const wrapper = await mountDashboardPage('/conversations', server.provide)
      await flushPromises()

      await wrapper.get('input[name="search"]').setValue('billing')
      vi.runAllTimers()
      await flushPromises()
      expect(server.operations.filter((operation) => operation.kind === 'query').at(-1)?.variables).toMatchObject({ filter: { search: 'billing' }, after: null })
      expect(rowTexts(wrapper)).toEqual([expect.stringContaining('Fix the billing bug')])

      server.publish('ConversationUpdated', { conversationUpdated: conversationSummary({ title: 'Unrelated' }) })
      server.publish('ConversationUpdated', { conversationUpdated: conversationSummary({ title: 'More BILLING work' }) })
      await flushPromises()
      expect(rowTexts(wrapper)).toEqual([expect.stringContaining('More BILLING work'), expect.stringContaining('Fix the billing bug')])
      wrapper.unmount()
    } finally {
      vi.useRealTimers()
    }
  })

  it('loads the next page after the last cursor when Load more is pressed', async () => {
    const conversations = Array.from({ length: 3 }, () => conversationSummary())
    const server = serverWith(conversations, 2)
    const wrapper = await mountDashboardPage('/conversations', server.provide)
    await flushPromises()
    expect(rowTexts(wrapper)).toHaveLength(2)

    await wrapper.get('.more button').trigger('click')
    await flushPromises()
    expect(wrapper.findAll('tbody tr').map((row) => row.attributes('data-conversation-id'))).toEqual(conversations.map((c) => c.id))
    expect(server.operations.filter((operation) => operation.kind === 'query').at(-1)?.variables).toMatchObject({ after: conversations[1]!.id })
    expect(wrapper.find('.more').exists()).toBe(false)
    wrapper.unmount()
  })

  it('shows the line that sends Claude Code through Claudescope when there is no conversation yet', async () => {
    const wrapper = await mountDashboardPage('/conversations', serverWith([]).provide)
    await flushPromises()
    expect(wrapper.text()).toContain(`ANTHROPIC_BASE_URL=${window.location.origin} claude`)
    wrapper.unmount()
  })

  it('shows why the list could not load, with a retry, instead of an empty page', async () => {
    const server = createFakeGraphQLServer({
      answers: {
        ConversationsPage: () => {
          throw new Error('database is away')
        },
      },
    })
    const wrapper = await mountDashboardPage('/conversations', server.provide)
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toContain('database is away')
    expect(wrapper.text()).not.toContain('ANTHROPIC_BASE_URL')
    wrapper.unmount()
  })
})
