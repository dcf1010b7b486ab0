import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../../client/src/messages/markdown'

/** The rendered HTML, parsed the way the browser will when it is inserted. */
function rendered(text: string): HTMLElement {
  const host = document.createElement('div')
  host.innerHTML = renderMarkdown(text)
  return host
}

describe('markdown of recorded text', () => {
  it('renders markdown structure: headings, emphasis, lists, code and tables', () => {
    const host = rendered('# Plan\n\n**bold** and *soft*\n\n- one\n- two\n\n```ts\nconst a = 1\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |')
    expect(host.querySelector('h1')?.textContent).toBe('Plan')
    expect(host.querySelector('strong')?.textContent).toBe('bold')
    expect(host.querySelectorAll('li')).toHaveLength(2)
    expect(host.querySelector('pre code')?.textContent).toBe('const a = 1\n')
    expect(host.querySelector('td')?.textContent).toBe('1')
  })

  it.each([
    ['a script tag', 'before <script>window.pwned = true</script> after', '<script>window.pwned = true</script>'],
    ['an img tag with an onerror handler', '<img src=x onerror=alert(1)>', '<img src=x onerror=alert(1)>'],
    ['an inline SVG with script', '<svg onload="alert(1)"><script>alert(2)</script></svg>', '<svg onload="alert(1)">'],
    ['a javascript: markdown link', '[click me](javascript:alert(1)) and [again](JaVaScRiPt:alert(2))', '[click me](javascript:alert(1))'],
    ['a raw anchor with a javascript: href', 'See <a href="javascript:alert(1)">this</a>', '<a href="javascript:alert(1)">this</a>'],
  ])('shows %s in markdown as inert text', (_what, source, shown) => {
    const host = rendered(source)
    expect(host.querySelector('script, img, svg, a, [onerror], [onload]')).toBeNull()
    expect(host.textContent).toContain(shown)
  })

  it('does not render a markdown image with a data: URL, nor any image at all', () => {
    const host = rendered('![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+) ![remote](https://tracker.example/p.gif)')
    expect(host.querySelector('img')).toBeNull()
    expect(host.textContent).toContain('![pixel](data:image/svg+xml')
    // A remote image becomes a link the reader may follow, so nothing loads by itself.
    const link = host.querySelector('a')
    expect(link?.getAttribute('href')).toBe('https://tracker.example/p.gif')
    expect(link?.textContent).toBe('image: remote')
  })

  it('opens http, https and mailto links in a new tab without referrer or opener', () => {
    const host = rendered('[docs](https://docs.anthropic.com) <http://example.com> [mail](mailto:a@example.com)')
    const links = [...host.querySelectorAll('a')]
    expect(links.map((link) => link.getAttribute('href'))).toEqual(['https://docs.anthropic.com', 'http://example.com', 'mailto:a@example.com'])
    for (const link of links) {
      expect(link.getAttribute('rel')).toBe('noopener noreferrer')
      expect(link.getAttribute('target')).toBe('_blank')
    }
  })

  it('keeps relative and other-scheme links as text so nothing points into the dashboard', () => {
    const host = rendered('[graphql](/graphql) [file](file:///etc/passwd) [vb](vbscript:msgbox(1))')
    expect(host.querySelector('a')).toBeNull()
  })
})
