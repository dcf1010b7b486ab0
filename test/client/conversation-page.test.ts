import { flushPromises } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import type { ConversationDetail, ConversationDetailVariables } from '../../client/src/graphql/conversation-documents'
import { cacheMiss, conversationDetail, conversationSummary, requestIdOf, thread, turn } from '../support/dashboard-page-fixtures'
import { createFakeGraphQLServer } from '../support/fake-graphql-server'
import { mountDashboardPage } from './mount-dashboard-page'

const task = { type: 'tool_use', id: 'toolu_task_1', name: 'Task', input: { description: 'Find callers', prompt: 'Find every caller of the price table.', subagent_type: 'general-purpose' } }
const nestedTask = { type: 'tool_use', id: 'toolu_task_nested', name: 'Task', input: { description: 'Dig deeper', prompt: 'Look in tests too.' } }

/** A main thread of three requests whose second answer starts a subagent, which starts one of its own, and a title side call. */
function sessionWithSubagents(): ConversationDetail {
  const summary = conversationSummary({ title: 'Refactor billing' })
  const main = thread('main', 'MAIN', [
    [1, { role: 'user', content: 'Refactor billing' }],
    [2, { role: 'assistant', content: [{ type: 'text', text: 'Let me look.' }, task] }],
    [2, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_task_1', content: 'Found 3 callers.' }] }],
    [3, { role: 'assistant', content: 'All done.' }],
  ])
  const agent = thread('agent', 'SUBAGENT', [
    [10, { role: 'user', content: 'Find every caller of the price table.' }],
    [11, { role: 'assistant', content: [nestedTask] }],
  ], { parentThreadId: 'main', parentToolUseId: 'toolu_task_1' })
  const nested = thread('nested', 'SUBAGENT', [[20, { role: 'user', content: 'Look in tests too.' }]], { parentThreadId: 'agent', parentToolUseId: 'toolu_task_nested' })
  const side = thread('side', 'SIDE', [], { parentThreadId: 'main', purpose: 'small_model' })
  return conversationDetail(
    summary,
    [main, agent, nested, side],
    [
      turn('main', 1, { usage: { inputTokens: 11, outputTokens: 22, cacheCreationInputTokens: 3333, cacheReadInputTokens: 0 }, costUsd: 0.25, ttfbMs: 410, durationMs: 2500 }),
      turn('main', 2),
      turn('main', 3),
      turn('agent', 10),
      turn('agent', 11),
      turn('nested', 20),
      turn('side', 30, { model: 'claude-haiku-4-5', costUsd: 0.0002 }),
    ],
    { 1: cacheMiss({ reason: 'FIRST_TURN', causes: ['FIRST_TURN'], missedTokens: 0, missCostUsd: 0 }), 3: cacheMiss(), 11: cacheMiss({ reason: 'TOOLS_CHANGED', causes: ['TOOLS_CHANGED'], missedTokens: 1000, missCostUsd: 0.002 }) },
  )
}

function serverWith(conversation: ConversationDetail | null | (() => ConversationDetail)) {
  return createFakeGraphQLServer({
    answers: {
      ConversationDetail: (variables) => {
        const current = typeof conversation === 'function' ? conversation() : conversation
        return { conversation: current?.id === (variables as ConversationDetailVariables).id ? current : null }
      },
    },
  })
}

describe('conversation page', () => {
  it('shows the main thread messages once each, in order, under the turn that introduced them, with its usage, cost, timing and a link to the request', async () => {
    const conversation = sessionWithSubagents()
    const wrapper = await mountDashboardPage(`/conversations/${conversation.id}`, serverWith(conversation).provide)
    await flushPromises()

    expect(wrapper.get('h1').text()).toBe('Refactor billing')
    const main = wrapper.get('.main-thread > .thread-view')
    const turns = main.findAll(':scope > .turn')
    expect(turns).toHaveLength(3)
    const first = turns[0]!.get('.turn-summary')
    expect(first.text()).toContain('Turn 1')
    const figures = Object.fromEntries(first.findAll('dl div').map((pair) => [pair.get('dt').text(), pair.get('dd').text()]))
    expect(figures).toEqual({ 'in / out': '11 / 22', 'cache read': '0', 'cache write': '3,333', 'cache miss': 'first turn', cost: '$0.25', 'first byte': '410 ms', total: '2.5 s' })
    expect(turns[1]!.find(':scope > .turn-summary .cache-miss').exists()).toBe(false)
    expect(turns[2]!.get('.cache-miss dd').text()).toBe('cache expired · 4,000 tokens rewritten · $0.0135')
    expect(first.get('a').attributes('href')).toBe(`/requests/${requestIdOf(1)}`)
    expect(main.findAll(':scope > .turn > .message').map((message) => message.attributes('data-position'))).toEqual(['0', '1', '2', '3'])
    expect(turns[1]!.findAll(':scope > .message').map((message) => message.get('h4').text())).toEqual(['assistant', 'user'])
    wrapper.unmount()
  })

  it('sums the conversation’s cache misses, by reason, beside its totals', async () => {
    const conversation = sessionWithSubagents()
    const wrapper = await mountDashboardPage(`/conversations/${conversation.id}`, serverWith(conversation).provide)
    await flushPromises()

    const misses = wrapper.get('.conversation-overview .cache-misses dd')
    expect(misses.text()).toMatch(/^3 requests · 5,000 tokens rewritten · \$0\.0155/)
    expect(misses.get('[data-reason="TOOLS_CHANGED"]').text()).toBe('tools changed: 1 request · 1,000 tokens · $0.002')
    expect(wrapper.get('#thread-agent .cache-miss dd').text()).toContain('tools changed')
    wrapper.unmount()
  })

  it('nests each subagent, collapsible, under the message with the Task call that spawned it, and a subagent of a subagent under its own', async () => {
    const conversation = sessionWithSubagents()
    const wrapper = await mountDashboardPage(`/conversations/${conversation.id}`, serverWith(conversation).provide)
    await flushPromises()

    const spawning = wrapper.get('.main-thread > .thread-view > .turn > .message[data-position="1"]')
    const subagent = spawning.get('details.subagent')
    expect(subagent.attributes('id')).toBe('thread-agent')
    expect(subagent.element.hasAttribute('open')).toBe(true)
    expect(subagent.get('summary').text()).toContain('2 requests')
    expect(subagent.text()).toContain('Find every caller of the price table.')
    expect(spawning.get('#tool-use-toolu_task_1 a.thread').attributes('href')).toBe('#thread-agent')

    const nested = subagent.get('.message details.subagent')
    expect(nested.attributes('id')).toBe('thread-nested')
    expect(nested.text()).toContain('Look in tests too.')
    // Nowhere else: each thread appears once.
    expect(wrapper.findAll('#thread-agent')).toHaveLength(1)
    expect(wrapper.findAll('#thread-nested')).toHaveLength(1)
    // Collapsible by keyboard: a details element whose summary is its toggle.
    expect(subagent.element.tagName).toBe('DETAILS')
    expect(subagent.element.firstElementChild?.tagName).toBe('SUMMARY')
    wrapper.unmount()
  })

  it('shows side calls apart from the thread, each with its request, model and cost', async () => {
    const conversation = sessionWithSubagents()
    const wrapper = await mountDashboardPage(`/conversations/${conversation.id}`, serverWith(conversation).provide)
    await flushPromises()

    const side = wrapper.get('.side-calls')
    expect(side.text()).toContain('Title and topic (small model)')
    expect(side.text()).toContain('claude-haiku-4-5')
    expect(side.text()).toContain('$0.0002')
    expect(side.get('a').attributes('href')).toBe(`/requests/${requestIdOf(30)}`)
    expect(wrapper.get('.main-thread').text()).not.toContain('claude-haiku-4-5')
    wrapper.unmount()
  })

  it('renders a hostile title and hostile message text as text, never as markup', async () => {
    const hostile = '<img src=x onerror="window.hacked=1"><script>window.hacked=2</script>'
    const summary = conversationSummary({ title: hostile })
    const conversation = conversationDetail(summary, [thread('main', 'MAIN', [[1, { role: 'user', content: [{ type: 'text', text: hostile }] }]])], [turn('main', 1)])
    const wrapper = await mountDashboardPage(`/conversations/${conversation.id}`, serverWith(conversation).provide)
    await flushPromises()

    expect(wrapper.get('h1').text()).toBe(hostile)
    expect(wrapper.get('.message').text()).toContain('<script>window.hacked=2</script>')
    expect(wrapper.findAll('.conversation-page img, .conversation-page script, [onerror]')).toHaveLength(0)
    expect((window as { hacked?: number }).hacked).toBeUndefined()
    wrapper.unmount()
  })

  it('shows the priced part of the cost, and how many requests are not priced, when the total is unknown', async () => {
    const summary = conversationSummary({ costUsd: null })
    const conversation = conversationDetail(summary, [thread('main', 'MAIN', [[1, { role: 'user', content: 'hi' }]])], [turn('main', 1, { costUsd: 0.5 }), turn('main', 2, { costUsd: null, model: 'claude-unknown' })])
    const wrapper = await mountDashboardPage(`/conversations/${conversation.id}`, serverWith(conversation).provide)
    await flushPromises()
    expect(wrapper.get('.conversation-overview .cost').text()).toBe('at least $0.50 (1 request not priced)')
    wrapper.unmount()
  })

  it('fetches the conversation again when the server says it has new turns', async () => {
    let conversation = sessionWithSubagents()
    const server = serverWith(() => conversation)
    const wrapper = await mountDashboardPage(`/conversations/${conversation.id}`, server.provide)
    await flushPromises()
    const main = conversation.threads[0]!
    conversation = {
      ...conversation,
      threads: [{ ...main, messages: [...main.messages, { position: 4, role: 'user', requestId: requestIdOf(4), contentText: JSON.stringify({ role: 'user', content: 'One more thing' }) }] }, ...conversation.threads.slice(1)],
      turns: [...conversation.turns, turn('main', 4)],
    }

    server.publish('ConversationUpdated', { conversationUpdated: conversationSummary({ id: conversation.id }) })
    await flushPromises()
    expect(wrapper.get('.main-thread').text()).toContain('One more thing')
    expect(wrapper.findAll('.main-thread > .thread-view > .turn')).toHaveLength(4)
    wrapper.unmount()
  })

  it('says when no conversation has the id, and shows a failed load as an error', async () => {
    const missing = await mountDashboardPage('/conversations/nope', serverWith(null).provide)
    await flushPromises()
    expect(missing.text()).toContain('No conversation has this id')
    missing.unmount()

    const failing = createFakeGraphQLServer({
      answers: {
        ConversationDetail: () => {
          throw new Error('database is away')
        },
      },
    })
    const wrapper = await mountDashboardPage('/conversations/any', failing.provide)
    await flushPromises()
    expect(wrapper.get('[role="alert"]').text()).toContain('database is away')
    wrapper.unmount()
  })
})
