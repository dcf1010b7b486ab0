import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import MessageBlock from '../../client/src/components/blocks/MessageBlock.vue'
import RequestMessages from '../../client/src/components/messages/RequestMessages.vue'
import type { JsonValue } from '../../client/src/graphql/graphql'
import { subagentThreadKey } from '../../client/src/messages/subagent-thread'

const SCRIPT = '<script>window.pwned = true</script>'
const IMG = '<img src=x onerror=alert(1)>'

function render(block: JsonValue) {
  return mount(MessageBlock, { props: { block } })
}

/** Nothing a recorded block says may become an element that runs or loads something. */
function expectInert(wrapper: ReturnType<typeof render>): void {
  expect(wrapper.find('script').exists()).toBe(false)
  expect(wrapper.find('svg').exists()).toBe(false)
  expect(wrapper.find('iframe').exists()).toBe(false)
  expect(wrapper.find('[onerror]').exists()).toBe(false)
  expect(wrapper.find('[onload]').exists()).toBe(false)
  for (const link of wrapper.findAll('a')) expect(link.attributes('href') ?? '').toMatch(/^(https?:|mailto:|blob:)/)
}

describe('text blocks', () => {
  it('renders text as markdown', () => {
    const wrapper = render({ type: 'text', text: 'Some **bold** and a [link](https://example.com)' })
    expect(wrapper.get('strong').text()).toBe('bold')
    expect(wrapper.get('a').attributes()).toMatchObject({ href: 'https://example.com', rel: 'noopener noreferrer', target: '_blank' })
  })

  it('shows script, img with onerror, javascript: links and raw anchors in model output as text', () => {
    const text = `${SCRIPT} ${IMG} [x](javascript:alert(1)) <a href="javascript:alert(2)">y</a> ![p](data:image/png;base64,AAAA)`
    const wrapper = render({ type: 'text', text })
    expectInert(wrapper)
    expect(wrapper.find('img').exists()).toBe(false)
    expect(wrapper.find('a').exists()).toBe(false)
    expect(wrapper.text()).toContain(SCRIPT)
    expect(wrapper.text()).toContain(IMG)
    expect(wrapper.text()).toContain('<a href="javascript:alert(2)">y</a>')
  })

  it('shows system reminders in user text collapsed, apart from what the user wrote', () => {
    const wrapper = render({ type: 'text', text: '<system-reminder>Files changed: a.ts</system-reminder>\nPlease fix the test' })
    const reminder = wrapper.get('details')
    expect(reminder.attributes('open')).toBeUndefined()
    expect(reminder.get('summary').text()).toBe('System reminder')
    expect(reminder.text()).toContain('Files changed: a.ts')
    expect(wrapper.get('.markdown').text()).toBe('Please fix the test')
  })

  it('lists citations with the cited text and a link to their web source', () => {
    const wrapper = render({
      type: 'text',
      text: 'The sky is blue.',
      citations: [{ type: 'web_search_result_location', cited_text: 'sky appears blue', url: 'https://example.com/sky', title: 'Why the sky is blue' }],
    })
    const citation = wrapper.get('.citations li')
    expect(citation.get('q').text()).toBe('sky appears blue')
    expect(citation.get('a').attributes()).toMatchObject({ href: 'https://example.com/sky', rel: 'noopener noreferrer' })
    expect(citation.get('a').text()).toBe('Why the sky is blue')
  })
})

describe('thinking blocks', () => {
  it('shows thinking collapsed by default', () => {
    const wrapper = render({ type: 'thinking', thinking: `Let me think ${IMG}`, signature: 'sig' })
    expect(wrapper.get('details').attributes('open')).toBeUndefined()
    expect(wrapper.get('summary').text()).toBe('Thinking')
    expect(wrapper.text()).toContain(IMG)
    expectInert(wrapper)
  })

  it('shows redacted thinking collapsed, without its encrypted data', () => {
    const wrapper = render({ type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix' })
    expect(wrapper.get('summary').text()).toBe('Redacted thinking')
    expect(wrapper.text()).not.toContain('EmwKAhgBEgy3va3pzix')
    expect(wrapper.text()).toContain('19 characters')
  })
})

describe('tool use blocks', () => {
  it('shows an Edit as a diff of the old and new strings, with the file path', () => {
    const wrapper = render({ type: 'tool_use', id: 'toolu_1', name: 'Edit', input: { file_path: '/src/a.ts', old_string: 'const a = 1\nkeep', new_string: 'const a = 2\nkeep' } })
    expect(wrapper.text()).toContain('/src/a.ts')
    expect(wrapper.get('.removed').text()).toBe('- const a = 1')
    expect(wrapper.get('.added').text()).toBe('+ const a = 2')
    expect(wrapper.get('.same').element.textContent).toBe('  keep\n')
    const raw = wrapper.get('details.raw-input')
    expect(raw.attributes('open')).toBeUndefined()
    expect(raw.get('pre').text()).toContain('"old_string": "const a = 1\\nkeep"')
  })

  it('shows every edit of a MultiEdit as its own diff', () => {
    const wrapper = render({
      type: 'tool_use',
      id: 'toolu_1',
      name: 'MultiEdit',
      input: { file_path: '/src/b.ts', edits: [{ old_string: 'x', new_string: 'y' }, { old_string: SCRIPT, new_string: IMG, replace_all: true }] },
    })
    expect(wrapper.findAll('.edit')).toHaveLength(2)
    expect(wrapper.findAll('.removed').map((line) => line.text())).toEqual(['- x', `- ${SCRIPT}`])
    expect(wrapper.text()).toContain('every occurrence')
    expectInert(wrapper)
  })

  it('shows a Write with its file path and the content as text', () => {
    const wrapper = render({ type: 'tool_use', id: 'toolu_1', name: 'Write', input: { file_path: '/site/index.html', content: `<html>${SCRIPT}</html>\n` } })
    expect(wrapper.text()).toContain('/site/index.html')
    expect(wrapper.text()).toContain('1 lines')
    expect(wrapper.get('.tool-write pre').text()).toBe(`<html>${SCRIPT}</html>`)
    expectInert(wrapper)
  })

  it('shows a Read with its path and line range', () => {
    expect(render({ type: 'tool_use', id: 't', name: 'Read', input: { file_path: '/a.ts', offset: 10, limit: 5 } }).text()).toContain('lines 10–14')
    expect(render({ type: 'tool_use', id: 't', name: 'Read', input: { file_path: '/a.ts' } }).text()).toContain('whole file')
  })

  it('shows a Bash command with its description', () => {
    const wrapper = render({ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: `echo '${IMG}'`, description: 'Print a tag' } })
    expect(wrapper.get('.description').text()).toBe('Print a tag')
    expect(wrapper.get('.command').text()).toBe(`$ echo '${IMG}'`)
    expectInert(wrapper)
  })

  it('shows Grep and Glob patterns with their path and options', () => {
    const grep = render({ type: 'tool_use', id: 't', name: 'Grep', input: { pattern: 'TODO\\(', path: 'src', output_mode: 'content' } })
    expect(grep.findAll('dd').map((dd) => dd.text())).toEqual(['TODO\\(', 'src', 'content'])
    const glob = render({ type: 'tool_use', id: 't', name: 'Glob', input: { pattern: '**/*.vue' } })
    expect(glob.text()).toContain('**/*.vue')
    expect(glob.text()).toContain('(working directory)')
  })

  it('shows a Task with its subagent type, description and prompt, and a link to the subagent thread when one is known', () => {
    const block = { type: 'tool_use', id: 'toolu_task', name: 'Task', input: { subagent_type: 'Explore', description: 'Find the tests', prompt: 'Look in **test/**' } }
    const wrapper = render(block)
    expect(wrapper.findAll('dd').map((dd) => dd.text())).toEqual(['Explore', 'Find the tests'])
    expect(wrapper.get('strong').text()).toBe('Task')
    expect(wrapper.get('.markdown strong').text()).toBe('test/')
    expect(wrapper.find('a.thread').exists()).toBe(false)

    const linked = mount(MessageBlock, {
      props: { block },
      global: { provide: { [subagentThreadKey as symbol]: (id: string) => (id === 'toolu_task' ? { href: '/conversations/c1#toolu_task', label: 'Open the subagent thread' } : null) } },
    })
    expect(linked.get('a.thread').attributes('href')).toBe('/conversations/c1#toolu_task')
  })

  it('shows a TodoWrite as a checklist with each status', () => {
    const wrapper = render({
      type: 'tool_use',
      id: 't',
      name: 'TodoWrite',
      input: { todos: [{ content: 'Read code', status: 'completed' }, { content: 'Fix bug', status: 'in_progress' }, { content: IMG, status: 'pending' }] },
    })
    const items = wrapper.findAll('li')
    expect(items.map((item) => item.classes()[0])).toEqual(['completed', 'in_progress', 'pending'])
    expect(items.map((item) => item.get('.mark').text())).toEqual(['☑', '◐', '☐'])
    expect(items[1]!.get('.status').text()).toBe('in progress')
    expect(items[2]!.get('.content').text()).toBe(IMG)
    expectInert(wrapper)
  })

  it('shows the input of any other tool as JSON, big integers digit for digit', () => {
    const wrapper = render({ type: 'tool_use', id: 't', name: 'mcp__db__query', input: { sql: SCRIPT, limit: 12345678901234567890n } })
    expect(wrapper.get('pre').text()).toBe(`{\n  "sql": "${SCRIPT.replace(/"/g, '\\"')}",\n  "limit": 12345678901234567890\n}`)
    expectInert(wrapper)
  })

  it('shows server tool calls with their input', () => {
    const wrapper = render({ type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'claude code proxy' } })
    expect(wrapper.text()).toContain('server_tool_use')
    expect(wrapper.get('pre').text()).toContain('"query": "claude code proxy"')
  })
})

describe('tool result blocks', () => {
  it('shows string content as preformatted text, hostile markup included', () => {
    const wrapper = render({ type: 'tool_result', tool_use_id: 'toolu_1', content: `${SCRIPT}\n${IMG}` })
    expect(wrapper.get('pre').text()).toBe(`${SCRIPT}\n${IMG}`)
    expect(wrapper.find('.is-error').exists()).toBe(false)
    expectInert(wrapper)
  })

  it('highlights a failed result', () => {
    const wrapper = render({ type: 'tool_result', tool_use_id: 'toolu_1', is_error: true, content: [{ type: 'text', text: 'ENOENT' }] })
    expect(wrapper.get('.block-tool-result').classes()).toContain('is-error')
    expect(wrapper.get('.error-badge').text()).toBe('error')
  })

  it('shows block content: text, images, and system reminders collapsed', () => {
    const wrapper = render({
      type: 'tool_result',
      tool_use_id: 'toolu_1',
      content: [
        { type: 'text', text: 'file contents<system-reminder>Be careful</system-reminder>' },
        { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      ],
    })
    expect(wrapper.get('pre').text()).toBe('file contents')
    expect(wrapper.get('details summary').text()).toBe('System reminder')
    expect(wrapper.get('img').attributes('src')).toBe('data:image/png;base64,iVBORw0KGgo=')
  })
})

describe('image blocks', () => {
  it('shows a base64 PNG inline', () => {
    expect(render({ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }).get('img').attributes('src')).toBe('data:image/png;base64,iVBORw0KGgo=')
  })

  it('does not show an SVG image, which could carry script', () => {
    const wrapper = render({ type: 'image', source: { type: 'base64', media_type: 'image/svg+xml', data: btoa('<svg onload="alert(1)"><script>alert(2)</script></svg>') } })
    expect(wrapper.find('img').exists()).toBe(false)
    expect(wrapper.text()).toContain('not shown: media type image/svg+xml')
    expectInert(wrapper)
  })

  it('does not show an image whose media type is text/html', () => {
    const wrapper = render({ type: 'image', source: { type: 'base64', media_type: 'text/html', data: btoa(SCRIPT) } })
    expect(wrapper.find('img').exists()).toBe(false)
    expect(wrapper.text()).toContain('text/html')
  })

  it('offers a URL image as a link and does not load it', () => {
    const wrapper = render({ type: 'image', source: { type: 'url', url: 'https://tracker.example/pixel.gif' } })
    expect(wrapper.find('img').exists()).toBe(false)
    expect(wrapper.get('a').attributes()).toMatchObject({ href: 'https://tracker.example/pixel.gif', rel: 'noopener noreferrer' })
  })

  it('does not link a javascript: image URL', () => {
    const wrapper = render({ type: 'image', source: { type: 'url', url: 'javascript:alert(1)' } })
    expect(wrapper.find('a').exists()).toBe(false)
    expectInert(wrapper)
  })
})

describe('document blocks', () => {
  it('shows a plain-text document as text with its title and context', () => {
    const wrapper = render({ type: 'document', title: 'Notes', context: 'From the wiki', source: { type: 'text', media_type: 'text/plain', data: `hello ${SCRIPT}` } })
    expect(wrapper.text()).toContain('Notes')
    expect(wrapper.text()).toContain('From the wiki')
    expect(wrapper.get('pre').text()).toBe(`hello ${SCRIPT}`)
    expectInert(wrapper)
  })

  it('offers a base64 PDF as a download through a Blob URL', () => {
    const wrapper = render({ type: 'document', title: 'Report', source: { type: 'base64', media_type: 'application/pdf', data: btoa('%PDF-1.4 fake') } })
    const link = wrapper.get('a')
    expect(link.text()).toBe('Download the PDF (1 KB)')
    expect(link.attributes('href')).toMatch(/^blob:/)
    expect(link.attributes('download')).toBe('Report.pdf')
    wrapper.unmount()
  })

  it('shows a document made of content blocks block by block', () => {
    const wrapper = render({ type: 'document', source: { type: 'content', content: [{ type: 'text', text: 'First *part*' }, { type: 'text', text: IMG }] } })
    expect(wrapper.get('em').text()).toBe('part')
    expect(wrapper.text()).toContain(IMG)
    expectInert(wrapper)
  })
})

describe('server tool result blocks', () => {
  it('lists web search results with their titles and links', () => {
    const wrapper = render({
      type: 'web_search_tool_result',
      tool_use_id: 'srvtoolu_1',
      content: [
        { type: 'web_search_result', title: 'Claude docs', url: 'https://docs.anthropic.com', encrypted_content: 'x', page_age: 'April 2025' },
        { type: 'web_search_result', title: IMG, url: 'javascript:alert(1)', encrypted_content: 'y' },
      ],
    })
    const items = wrapper.findAll('li')
    expect(items[0]!.get('a').attributes()).toMatchObject({ href: 'https://docs.anthropic.com', rel: 'noopener noreferrer' })
    expect(items[0]!.text()).toContain('April 2025')
    expect(items[1]!.find('a').exists()).toBe(false)
    expect(items[1]!.text()).toContain(IMG)
    expectInert(wrapper)
  })

  it('highlights a web search error with its code', () => {
    const wrapper = render({ type: 'web_search_tool_result', tool_use_id: 's', content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } })
    expect(wrapper.get('.block-web-search').classes()).toContain('is-error')
    expect(wrapper.text()).toContain('max_uses_exceeded')
  })

  it('shows a web fetch result with its URL and the fetched document', () => {
    const wrapper = render({
      type: 'web_fetch_tool_result',
      tool_use_id: 's',
      content: { type: 'web_fetch_result', url: 'https://example.com/page', retrieved_at: '2025-08-25T10:30:00Z', content: { type: 'document', title: 'Example', source: { type: 'text', media_type: 'text/plain', data: `Page ${SCRIPT}` } } },
    })
    expect(wrapper.get('a').attributes('href')).toBe('https://example.com/page')
    expect(wrapper.get('pre').text()).toBe(`Page ${SCRIPT}`)
    expectInert(wrapper)
  })
})

describe('code execution and search result blocks', () => {
  it('shows code execution output, with a failing exit code highlighted', () => {
    const wrapper = render({ type: 'bash_code_execution_tool_result', tool_use_id: 'srvtoolu_2', content: { type: 'bash_code_execution_result', stdout: `ok ${SCRIPT}`, stderr: 'warning', return_code: 1 } })
    expect(wrapper.get('.block-code-execution').classes()).toContain('is-error')
    expect(wrapper.text()).toContain('exit code 1')
    expect(wrapper.findAll('pre').map((pre) => pre.text())).toEqual([`ok ${SCRIPT}`, 'warning'])
    expectInert(wrapper)
  })

  it('shows a search result with its title, source link and text', () => {
    const wrapper = render({ type: 'search_result', source: 'https://docs.example.com/api', title: 'API reference', content: [{ type: 'text', text: `The *limit* is 10 ${IMG}` }], citations: { enabled: true } })
    expect(wrapper.text()).toContain('API reference')
    expect(wrapper.get('a').attributes()).toMatchObject({ href: 'https://docs.example.com/api', rel: 'noopener noreferrer' })
    expect(wrapper.get('em').text()).toBe('limit')
    expectInert(wrapper)
  })
})

describe('unknown blocks', () => {
  it('shows a block of an unknown type as its JSON', () => {
    const wrapper = render({ type: 'container_upload', file_id: IMG })
    expect(wrapper.text()).toContain('container_upload')
    expect(wrapper.get('pre').text()).toContain(IMG.replace(/"/g, '\\"'))
    expectInert(wrapper)
  })

  it('shows a value that is not a block at all as JSON', () => {
    expect(render(42).get('pre').text()).toBe('42')
  })
})

describe('tool calls and results in a request', () => {
  it('shows each result under its call, and points back to the call from where the result sits', () => {
    const wrapper = mount(RequestMessages, {
      props: {
        body: {
          messages: [
            { role: 'user', content: 'List files' },
            { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'ls' } }] },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'a.ts\nb.ts' }] },
          ],
        },
      },
      attachTo: document.body,
    })
    const call = wrapper.get('#tool-use-toolu_1')
    expect(call.get('.command').text()).toBe('$ ls')
    expect(call.get('.block-tool-result pre').text()).toBe('a.ts\nb.ts')
    const pointer = wrapper.get('.block-tool-result.is-pointer')
    expect(pointer.text()).toContain('for Bash toolu_1')
    expect(pointer.text()).not.toContain('a.ts')
    wrapper.unmount()
  })

  it('shows the system prompt and the offered tools with their schema collapsed', () => {
    const wrapper = mount(RequestMessages, {
      props: {
        body: {
          system: [{ type: 'text', text: 'You are Claude Code.' }],
          tools: [{ name: 'Bash', description: `Runs a shell command.\nMore ${IMG}`, input_schema: { type: 'object', properties: { command: { type: 'string' } } } }],
          messages: [{ role: 'user', content: 'hi' }],
        },
      },
    })
    expect(wrapper.get('.system').text()).toContain('You are Claude Code.')
    const tools = wrapper.get('.tools')
    expect(tools.get('summary').text()).toBe('tools (1)')
    expect(tools.get('li summary').text()).toBe('Bash — Runs a shell command.')
    expect(tools.get('.schema').attributes('open')).toBeUndefined()
    expect(tools.get('.schema pre').text()).toContain('"command"')
    expect(tools.text()).toContain(IMG)
    expect(wrapper.find('img').exists()).toBe(false)
  })
})
