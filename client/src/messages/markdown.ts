import DOMPurify from 'dompurify'
import MarkdownIt from 'markdown-it'

/**
 * Model output and recorded text as markdown, made safe to insert as HTML. Two layers, because the
 * text is hostile by assumption: markdown-it with `html: false` turns every tag in the source into
 * text and accepts only link targets with the schemes below; DOMPurify then keeps only the elements
 * and attributes markdown itself produces, so a parser bug cannot smuggle in script, styles or media.
 */
const SAFE_LINK = /^(?:https?:|mailto:)/i

const markdown = new MarkdownIt({ html: false, linkify: true, breaks: false })
// Anything else (javascript:, data:, relative paths that would resolve against the dashboard) stays literal text.
markdown.validateLink = (url) => SAFE_LINK.test(url.trim())

// Links leave the dashboard in a new tab without telling the destination where they came from.
markdown.renderer.rules.link_open = (tokens, index, options, _env, self) => {
  tokens[index]!.attrSet('target', '_blank')
  tokens[index]!.attrSet('rel', 'noopener noreferrer')
  return self.renderToken(tokens, index, options)
}

// Images in recorded text would load from wherever the text says (tracking pixels): a link instead.
markdown.renderer.rules.image = (tokens, index) => {
  const token = tokens[index]!
  const src = markdown.utils.escapeHtml(String(token.attrGet('src') ?? ''))
  return `<a href="${src}" target="_blank" rel="noopener noreferrer">image: ${markdown.utils.escapeHtml(token.content || src)}</a>`
}

const SANITIZE = {
  ALLOWED_TAGS: ['a', 'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 's', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
  ALLOWED_ATTR: ['href', 'title', 'start', 'target', 'rel'],
  // Every allowed attribute value must match this, except the URI-safe ones (target and rel are not by default).
  ALLOWED_URI_REGEXP: SAFE_LINK,
  ADD_URI_SAFE_ATTR: ['target', 'rel', 'start'],
}

const purifier = DOMPurify()

/** Sanitised HTML for `text`: markdown structure and http(s)/mailto links, nothing else. */
export function renderMarkdown(text: string): string {
  return purifier.sanitize(markdown.render(text), SANITIZE)
}
