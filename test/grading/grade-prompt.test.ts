import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { graphql } from '../../client/src/graphql/graphql'
import { loadConfig } from '../../server/config'
import { Grader } from '../../server/grading/grader'
import { GRADE_TOOL_NAME } from '../../server/grading/prompt-grade'
import { deleteRequests } from '../../server/store/queries/delete-requests'
import { queryGraphQL } from '../support/graphql-client'
import { startGraphQLHarness, type GraphQLHarness } from '../support/graphql-harness'
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream'
import { makeRecord } from '../support/record-fixtures'
import { storeRecords } from '../support/stored-records'

const SERVER_KEY = 'sk-ant-server-own-key'

/** What the grading model answers, as a reviewer would: the ground truth of the grade below. */
const GRADE_INPUT = {
  criteria: {
    clarity: { score: 4, feedback: 'The goal is clear.' },
    context: { score: 2, feedback: 'Name the script and its location.' },
    structure: { score: 3, feedback: 'One sentence; fine for a small task.' },
    examples: { score: 1, feedback: 'Show the expected output of a dry run.' },
    best_practice: { score: 5, feedback: 'Asks for tests.' },
  },
  overall_feedback: 'Say which script, and what a dry run prints.',
  improved_prompt: 'Add a --dry-run flag to scripts/deploy.sh that prints each command instead of running it; add a test.',
}

const BODY = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  system: [{ type: 'text', text: 'You are Claude Code.' }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: '<system-reminder>Context follows.</system-reminder>' }, { type: 'text', text: 'Add a --dry-run flag to the deploy script, with a test' }] },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/repo/deploy.sh' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '#!/bin/sh' }] },
  ],
})

const GRADE = graphql(`mutation Grade($id: ID!) {
  gradePrompt(requestId: $id) { requestId model score maxScore feedback improvedPrompt gradedAt criteria { key name score feedback } }
}`)
const STORED_GRADE = graphql(`query StoredGrade($id: ID!) { request(id: $id) { id promptGrade { score criteria { key score } improvedPrompt } } }`)

async function postErrors(url: string, query: string, variables: Record<string, unknown>) {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) })
  const json = (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] }
  return json.errors ?? []
}
const GRADE_TEXT = 'mutation Grade($id: ID!) { gradePrompt(requestId: $id) { score } }'

let upstream: MockUpstream
let harness: GraphQLHarness
let gradingUrl: string
const graderFor = (forwardUrl: string, apiKey: string | undefined) => new Grader({ forwardUrl, apiKey, model: 'claude-sonnet-4-5', timeoutMs: 10_000 })

beforeAll(async () => {
  upstream = await startMockUpstream({ forcedToolInputs: { [GRADE_TOOL_NAME]: GRADE_INPUT }, validApiKeys: [SERVER_KEY] })
  harness = await startGraphQLHarness()
  gradingUrl = await harness.serve({ grader: graderFor(upstream.url, SERVER_KEY) })
})
afterAll(async () => {
  await harness.close()
  await upstream.close()
})

describe('gradePrompt', () => {
  it("grades the user's own prompt with the server's key, and keeps the grade on the request", async () => {
    const record = makeRecord({ requestBody: BODY })
    await storeRecords(harness.dataSource, [record])

    const { gradePrompt } = await queryGraphQL(gradingUrl, GRADE, { id: record.id })

    expect(gradePrompt).toMatchObject({
      requestId: record.id,
      model: 'claude-sonnet-4-5',
      score: 3, // (4 + 2 + 3 + 1 + 5) / 5
      maxScore: 5,
      feedback: GRADE_INPUT.overall_feedback,
      improvedPrompt: GRADE_INPUT.improved_prompt,
      criteria: [
        { key: 'clarity', name: 'Clarity', score: 4, feedback: 'The goal is clear.' },
        { key: 'context', name: 'Context', score: 2, feedback: 'Name the script and its location.' },
        { key: 'structure', name: 'Structure', score: 3, feedback: 'One sentence; fine for a small task.' },
        { key: 'examples', name: 'Examples', score: 1, feedback: 'Show the expected output of a dry run.' },
        { key: 'best_practice', name: 'Task-specific best practice', score: 5, feedback: 'Asks for tests.' },
      ],
    })
    const { request } = await queryGraphQL(harness.url, STORED_GRADE, { id: record.id })
    expect(request?.promptGrade).toMatchObject({ score: 3, improvedPrompt: GRADE_INPUT.improved_prompt })
    expect(request?.promptGrade?.criteria.map((c) => c.score)).toEqual([4, 2, 3, 1, 5])

    const sent = upstream.requests.at(-1)!
    expect(sent.headers['x-api-key']).toBe(SERVER_KEY)
    const grading = JSON.parse(sent.body.toString()) as { tool_choice: unknown; messages: { content: string }[] }
    expect(grading.tool_choice).toEqual({ type: 'tool', name: GRADE_TOOL_NAME })
    expect(grading.messages[0]!.content).toContain('Add a --dry-run flag to the deploy script, with a test')
    expect(grading.messages[0]!.content).toContain('You are Claude Code.')
    expect(grading.messages[0]!.content).not.toContain('Context follows.')
    expect(grading.messages[0]!.content).not.toContain('#!/bin/sh')
  })

  it('replaces an earlier grade when a request is graded again', async () => {
    const record = makeRecord({ requestBody: BODY })
    await storeRecords(harness.dataSource, [record])
    const first = await queryGraphQL(gradingUrl, GRADE, { id: record.id })
    const second = await queryGraphQL(gradingUrl, GRADE, { id: record.id })
    const rows = (await harness.dataSource.query(`SELECT graded_at FROM prompt_grades WHERE request_id = $1`, [record.id])) as { graded_at: Date }[]
    expect(rows).toHaveLength(1)
    expect(rows[0]!.graded_at.toISOString()).toBe(second.gradePrompt.gradedAt)
    expect(new Date(second.gradePrompt.gradedAt).getTime()).toBeGreaterThanOrEqual(new Date(first.gradePrompt.gradedAt).getTime())
  })

  it('deletes the grade with its request, as every deletion of requests does', async () => {
    const record = makeRecord({ requestBody: BODY })
    await storeRecords(harness.dataSource, [record])
    await queryGraphQL(gradingUrl, GRADE, { id: record.id })
    expect(await deleteRequests(harness.dataSource, [record])).toBe(1)
    expect(await harness.dataSource.query(`SELECT 1 FROM prompt_grades WHERE request_id = $1`, [record.id])).toEqual([])
  })

  it('refuses with GRADER_NOT_CONFIGURED, and calls nobody, when the server has no key of its own', async () => {
    const record = makeRecord({ requestBody: BODY })
    await storeRecords(harness.dataSource, [record])
    const before = upstream.requests.length
    const [error] = await postErrors(harness.url, GRADE_TEXT, { id: record.id })
    expect(error?.extensions?.code).toBe('GRADER_NOT_CONFIGURED')
    expect(error?.message).toContain('GRADER_API_KEY')
    expect(upstream.requests.length).toBe(before)
  })

  it('answers REQUEST_NOT_FOUND for an unknown id and for text that is no id', async () => {
    for (const id of ['0190e7a2-0000-7000-8000-000000000000', "x' OR 1=1 --"]) {
      const [error] = await postErrors(gradingUrl, GRADE_TEXT, { id })
      expect(error?.extensions?.code).toBe('REQUEST_NOT_FOUND')
    }
  })

  it('answers NOTHING_TO_GRADE for a body with no prompt a user typed, or no JSON at all', async () => {
    const onlyReminders = makeRecord({ requestBody: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: '<system-reminder>x</system-reminder>' }] }) })
    const notJson = makeRecord({ requestBody: '{"model": "m", "messages": [', requestBodyIsJson: false })
    await storeRecords(harness.dataSource, [onlyReminders, notJson])
    for (const record of [onlyReminders, notJson]) {
      const [error] = await postErrors(gradingUrl, GRADE_TEXT, { id: record.id })
      expect(error?.extensions?.code).toBe('NOTHING_TO_GRADE')
    }
  })

  it('reports GRADER_FAILED with the upstream status and message when the key is refused', async () => {
    const url = await harness.serve({ grader: graderFor(upstream.url, 'sk-ant-revoked') })
    const record = makeRecord({ requestBody: BODY })
    await storeRecords(harness.dataSource, [record])
    const [error] = await postErrors(url, GRADE_TEXT, { id: record.id })
    expect(error?.extensions).toMatchObject({ code: 'GRADER_FAILED', upstreamStatus: 401 })
    expect(error?.message).toBe('The grading model answered 401: invalid x-api-key')
  })

  it('reports GRADER_FAILED when the model answers without a grade, and stores nothing', async () => {
    const plain = await startMockUpstream()
    try {
      const url = await harness.serve({ grader: graderFor(plain.url, SERVER_KEY) })
      const record = makeRecord({ requestBody: BODY })
      await storeRecords(harness.dataSource, [record])
      const [error] = await postErrors(url, GRADE_TEXT, { id: record.id })
      expect(error?.extensions?.code).toBe('GRADER_FAILED')
      expect(error?.message).toContain(GRADE_TOOL_NAME)
      expect(await harness.dataSource.query(`SELECT 1 FROM prompt_grades WHERE request_id = $1`, [record.id])).toEqual([])
    } finally {
      await plain.close()
    }
  })

  it('reports GRADER_FAILED when the grading model cannot be reached', async () => {
    const closed = await startMockUpstream()
    const deadUrl = closed.url
    await closed.close()
    const url = await harness.serve({ grader: graderFor(deadUrl, SERVER_KEY) })
    const record = makeRecord({ requestBody: BODY })
    await storeRecords(harness.dataSource, [record])
    const [error] = await postErrors(url, GRADE_TEXT, { id: record.id })
    expect(error?.extensions?.code).toBe('GRADER_FAILED')
    expect(error?.message).toMatch(/^The grading model could not be reached: /)
  })

  it('grades with a model the installed Anthropic SDK does not call deprecated, by default', async () => {
    const { graderModel } = loadConfig({})
    const plain = await startMockUpstream()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const client = new Anthropic({ baseURL: plain.url, apiKey: SERVER_KEY, maxRetries: 0 })
      await client.messages.create({ model: graderModel, max_tokens: 16, messages: [{ role: 'user', content: 'ping' }] })
      expect(warn.mock.calls.flat().join('\n')).not.toContain(graderModel)
    } finally {
      warn.mockRestore()
      await plain.close()
    }
  })
})
