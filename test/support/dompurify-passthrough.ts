/**
 * DOMPurify for the component tests: returns its input. DOMPurify reads node names through the DOM
 * prototypes' own getters, which happy-dom defines elsewhere, so under happy-dom it sees every
 * element as unnamed and unwraps the first one. The component tests therefore check the markdown
 * layer alone (which already turns every tag in recorded text into text), and the browser test in
 * test/e2e/dashboard.test.ts checks both layers in Chromium.
 */
const passthrough = () => ({ sanitize: (html: string) => html })
export default passthrough
