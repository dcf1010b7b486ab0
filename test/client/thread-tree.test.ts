import { describe, expect, it } from 'vitest'
import { buildConversationTree, readThreadMessage } from '../../client/src/conversations/thread-tree'
import { conversationDetail, conversationSummary, requestIdOf, thread, turn } from '../support/dashboard-page-fixtures'

const taskCall = (id: string) => ({ role: 'assistant', content: [{ type: 'tool_use', id, name: 'Task', input: { prompt: 'go' } }] })

describe('conversation tree', () => {
  it('hangs each subagent under the Task call that spawned it, and keeps one whose call is unknown under its parent, unplaced', () => {
    const main = thread('main', 'MAIN', [
      [1, { role: 'user', content: 'start' }],
      [2, taskCall('toolu_a')],
    ])
    const a = thread('a', 'SUBAGENT', [[5, { role: 'user', content: 'a' }]], { parentThreadId: 'main', parentToolUseId: 'toolu_a' })
    const lost = thread('lost', 'SUBAGENT', [[6, { role: 'user', content: 'lost' }]], { parentThreadId: 'main', parentToolUseId: 'toolu_gone' })
    const orphan = thread('orphan', 'SUBAGENT', [[7, { role: 'user', content: 'orphan' }]], { parentThreadId: 'nowhere' })
    const tree = buildConversationTree(conversationDetail(conversationSummary(), [main, a, lost, orphan], [turn('main', 1), turn('main', 2), turn('a', 5)]))

    expect([...tree.main!.spawned.entries()].map(([id, nodes]) => [id, nodes.map((node) => node.thread.id)])).toEqual([['toolu_a', ['a']]])
    expect(tree.main!.unplaced.map((node) => node.thread.id)).toEqual(['lost', 'orphan'])
    expect(tree.orphans).toEqual([])
  })

  it('groups messages under the request that introduced them, keeps requests without new messages, and places messages of an unlisted request by position', () => {
    const main = thread('main', 'MAIN', [
      [1, { role: 'user', content: 'one' }],
      [9, { role: 'assistant', content: 'from a pruned request' }],
      [3, { role: 'user', content: 'three' }],
    ])
    const tree = buildConversationTree(conversationDetail(conversationSummary(), [main], [turn('main', 1), turn('main', 2), turn('main', 3)]))
    expect(tree.main!.groups.map((group) => [group.number, group.requestId, group.entries.map((entry) => entry.position)])).toEqual([
      [1, requestIdOf(1), [0]],
      [2, requestIdOf(2), []],
      [0, requestIdOf(9), [1]],
      [3, requestIdOf(3), [2]],
    ])
  })

  it('reads a stored message whose text is not a message object as one visible block', () => {
    expect(readThreadMessage('user', '"just text"')).toEqual({ role: 'user', blocks: ['just text'] })
    expect(readThreadMessage(null, '{"role":"assistant","content":"hi"}')).toEqual({ role: 'assistant', blocks: [{ type: 'text', text: 'hi' }] })
    expect(readThreadMessage('user', null)).toEqual({ role: 'user', blocks: [] })
  })
})
