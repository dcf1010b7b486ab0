/**
 * A fake OpenAI-compatible Chat Completions server on 127.0.0.1 speaking the exact wire format:
 * `chat.completion` JSON, `chat.completion.chunk` SSE (`data:` lines, tool-call deltas with the
 * arguments split across chunks, usage in a last chunk with empty choices when
 * `stream_options.include_usage` asks for it, then `data: [DONE]`), and `{"error":{…}}` bodies with
 * their status. Shapes are typed with the official `openai` package. Every request is logged as
 * it arrived (headers and body), so tests can assert what reached the provider and what never did.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions'

/** What the mock answers next: an assistant turn (streamed or not, as the request asks), or an error. */
export type OpenAiScript =
  | {
      kind: 'answer'
      content?: string
      toolCalls?: Array<{ id: string; name: string; arguments: string }>
      finishReason?: ChatCompletion.Choice['finish_reason']
      usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number }
      /** Characters per streamed piece of content or arguments. @default 4 */
      pieceChars?: number
      /** Streamed: reset the connection after this many chunks instead of finishing. */
      resetAfterChunks?: number
    }
  | { kind: 'error'; status: number; message: string; type?: string; code?: string | null }

export interface LoggedOpenAiRequest {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export interface MockOpenAi {
  /** Base URL including the `/v1` path, as an OpenAI base_url is written. */
  url: string
  requests: LoggedOpenAiRequest[]
  /** What the next requests are answered with (until changed). */
  script: OpenAiScript
  close(): Promise<void>
}

const MODEL = 'gpt-4.1-2025-04-14'

export async function startMockOpenAi(): Promise<MockOpenAi> {
  let served = 0
  const mock: MockOpenAi = { url: '', requests: [], script: { kind: 'answer', content: 'Hello from OpenAI' }, close: async () => {} }
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => {
      const body = Buffer.concat(parts).toString('utf8')
      mock.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
      const script = mock.script
      const common = { 'x-request-id': `req_openai_${++served}`, 'openai-processing-ms': '12', 'x-ratelimit-remaining-requests': '499' }
      if (script.kind === 'error') {
        const error = { error: { message: script.message, type: script.type ?? 'invalid_request_error', param: null, code: script.code ?? null } }
        res.writeHead(script.status, { ...common, 'content-type': 'application/json' })
        res.end(JSON.stringify(error))
        return
      }
      const request = JSON.parse(body) as { stream?: boolean; stream_options?: { include_usage?: boolean } }
      if (request.stream === true) {
        res.writeHead(200, { ...common, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
        const chunks = streamChunks(script, request.stream_options?.include_usage === true)
        if (script.resetAfterChunks !== undefined) {
          res.write(chunks.slice(0, script.resetAfterChunks).map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join(''), () => res.socket?.resetAndDestroy())
          return
        }
        for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`)
        res.end('data: [DONE]\n\n')
        return
      }
      res.writeHead(200, { ...common, 'content-type': 'application/json' })
      res.end(JSON.stringify(completion(script)))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  mock.url = `http://127.0.0.1:${port}/v1`
  mock.close = () => new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })
  return mock
}

type AnswerScript = Extract<OpenAiScript, { kind: 'answer' }>

function finishReasonOf(script: AnswerScript): ChatCompletion.Choice['finish_reason'] {
  return script.finishReason ?? (script.toolCalls?.length ? 'tool_calls' : 'stop')
}

function usageOf(script: AnswerScript): ChatCompletion['usage'] {
  const usage = script.usage ?? { prompt_tokens: 20, completion_tokens: 7 }
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: { cached_tokens: usage.cached_tokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  }
}

function completion(script: AnswerScript): ChatCompletion {
  return {
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: 1_760_000_000,
    model: MODEL,
    choices: [{
      index: 0,
      message: {
        role: 'assistant',
        content: script.content ?? null,
        refusal: null,
        ...(script.toolCalls?.length ? { tool_calls: script.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })) } : {}),
      },
      finish_reason: finishReasonOf(script),
      logprobs: null,
    }],
    usage: usageOf(script),
  }
}

function pieces(text: string, size: number): string[] {
  const out: string[] = []
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size))
  return out
}

function streamChunks(script: AnswerScript, includeUsage: boolean): ChatCompletionChunk[] {
  const size = script.pieceChars ?? 4
  const chunk = (delta: ChatCompletionChunk.Choice.Delta, finish: ChatCompletionChunk.Choice['finish_reason'] = null): ChatCompletionChunk => ({
    id: 'chatcmpl-mock',
    object: 'chat.completion.chunk',
    created: 1_760_000_000,
    model: MODEL,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    ...(includeUsage ? { usage: null } : {}),
  })
  const chunks: ChatCompletionChunk[] = [chunk({ role: 'assistant', content: '', refusal: null })]
  for (const piece of pieces(script.content ?? '', size)) chunks.push(chunk({ content: piece }))
  script.toolCalls?.forEach((call, index) => {
    chunks.push(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] }))
    for (const piece of pieces(call.arguments, size)) chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }))
  })
  chunks.push(chunk({}, finishReasonOf(script)))
  if (includeUsage) chunks.push({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1_760_000_000, model: MODEL, choices: [], usage: usageOf(script) })
  return chunks
}
