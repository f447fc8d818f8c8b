/**
 * An agent's text as Markdown (marked), sanitized (DOMPurify) before it touches the page: a
 * result that holds HTML or script shows as inert markup, never runs.
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';

export function Markdown({ text }: { text: string }) {
  const html = DOMPurify.sanitize(marked.parse(text, { async: false, gfm: true }), {
    FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select'],
    FORBID_ATTR: ['style'],
  });
  return <div class="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
