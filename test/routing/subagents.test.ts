import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { agentPrompt, matchSubagent, uniformText } from '../../server/routing/agent-definition'
import { loadSubagentDefinitions, type SubagentDefinitions } from '../../server/routing/subagent-detector'
import { createLogger } from '../../server/logger'
import { waitFor } from '../support/wait'

const REVIEWER = [
  '---',
  'name: code-reviewer',
  'description: Reviews code',
  'tools: Read, Grep',
  '---',
  '',
  'You are a meticulous code reviewer.',
  '',
  '---',
  '',
  'Notes: check tests first.',
].join('\n')

describe('agentPrompt', () => {
  it('takes everything after the front matter, a --- line inside the prompt included', () => {
    expect(agentPrompt(REVIEWER)).toBe('You are a meticulous code reviewer.\n\n---\n\nNotes: check tests first.')
  })

  it('reads a file with CRLF line endings and a byte order mark the same way', () => {
    expect(agentPrompt('\uFEFF' + REVIEWER.replaceAll('\n', '\r\n'))).toBe(agentPrompt(REVIEWER))
  })

  it('keeps the whole text when there is no front matter', () => {
    expect(agentPrompt('  Just a prompt.\n')).toBe('Just a prompt.')
  })
})

describe('matchSubagent', () => {
  const prompts = new Map([
    ['code-reviewer', uniformText(agentPrompt(REVIEWER))],
    ['reviewer-lite', uniformText('You are a meticulous code reviewer.')],
  ])

  it('finds the agent whose prompt the system text holds, whatever the blocks and line endings around it', () => {
    const system = [
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude." },
      { type: 'text', text: 'You are a meticulous code reviewer.\r\n\r\n---\r\n\r\nNotes:   check tests first.\n\nEnvironment: linux' },
    ]
    expect(matchSubagent(system, prompts)).toBe('code-reviewer')
    expect(matchSubagent(system.map((block) => block.text).join('\n'), prompts)).toBe('code-reviewer')
  })

  it('prefers the longest prompt that matches and finds none in an ordinary request', () => {
    expect(matchSubagent('You are a meticulous code reviewer. Be quick.', prompts)).toBe('reviewer-lite')
    expect(matchSubagent([{ type: 'text', text: 'You are Claude Code.' }], prompts)).toBeNull()
    expect(matchSubagent(undefined, prompts)).toBeNull()
  })
})

describe('loadSubagentDefinitions', () => {
  let dir: string
  let definitions: SubagentDefinitions | undefined
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'claudescope-agents-'))
  })
  afterEach(async () => {
    definitions?.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('reads each routed agent from the first folder holding it and reads it again when the file changes', async () => {
    await writeFile(path.join(dir, 'code-reviewer.md'), REVIEWER)
    definitions = loadSubagentDefinitions(['code-reviewer', 'missing-agent'], [path.join(dir, 'absent'), dir], createLogger('silent'))
    expect([...definitions.loaded().keys()]).toEqual(['code-reviewer'])
    expect(definitions.detect('You are a meticulous code reviewer. --- Notes: check tests first.')).toBe('code-reviewer')

    await writeFile(path.join(dir, 'code-reviewer.md'), '---\nname: code-reviewer\n---\nYou review security only.\n')
    await waitFor(() => definitions!.detect('You review security only.') === 'code-reviewer', 'the edited definition to be read again')
    expect(definitions.detect('You are a meticulous code reviewer. --- Notes: check tests first.')).toBeNull()
  })
})
