import DOMPurify from 'dompurify'
import MarkdownIt from 'markdown-it'

/**
 * Model output and tool results as markdown, made safe to insert as HTML. Two layers, because the
 * text is hostile by assumption: markdown-it with `html: false` turns every tag in the source into
 * text, and only accepts link targets with the schemes below; DOMPurify then keeps only the
 * elements markdown itself produces, so a parser bug cannot smuggle in script, styles or media.
 */
const SAFE_LINK = /^(?:https?:|mailto:)/i

const markdown = new MarkdownIt({ html: false, linkify: true, breaks: false })
// Anything else (javascript:, data:, relative paths that would resolve against the dashboard) stays literal text.
markdown.validateLink = (url) => SAFE_LINK.test(url.trim())
// Images in recorded text would load from wherever the text says (tracking pixels): show a link instead.
markdown.renderer.rules.image = (tokens, index) => {
  const token = tokens[index]!
  const src = String(token.attrGet('src') ?? '')
  const alt = markdown.utils.escapeHtml(token.content || src)
  return `<a href="${markdown.utils.escapeHtml(src)}">image: ${alt}</a>`
}

const ALLOWED_TAGS = ['a', 'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td']

const purifier = DOMPurify()
purifier.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName !== 'A') return
  // Links leave the dashboard in a new tab without telling the destination where they came from.
  node.setAttribute('target', '_blank')
  node.setAttribute('rel', 'noopener noreferrer')
})

/** Sanitised HTML for `text`: markdown structure and http(s)/mailto links, nothing else. */
export function renderMarkdown(text: string): string {
  return purifier.sanitize(markdown.render(text), {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ['href', 'title', 'start'],
    ALLOWED_URI_REGEXP: SAFE_LINK,
  })
}
