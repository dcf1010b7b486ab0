import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { handleStatic } from '../../server/http/static'

/** A real server serving only `handleStatic(root)`; closed after each test. */
const servers: http.Server[] = []
const roots: string[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))))
  await Promise.all(roots.splice(0).map((root) => rm(root, { recursive: true, force: true })))
})

/** A client directory built by `arrange`, served over a real socket. */
async function serveClientDir(arrange: (root: string) => Promise<void>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'claudescope-static-'))
  roots.push(root)
  await arrange(root)
  const server = http.createServer(handleStatic(root))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** GET with the path sent exactly as written (fetch would normalise percent sequences). */
function rawGet(baseUrl: string, requestPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${baseUrl}${requestPath}`, (res) => {
        let body = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
        res.on('end', () => resolve({ status: res.statusCode!, body })).on('error', reject)
      })
      .on('error', reject)
  })
}

const withIndex = async (root: string) => writeFile(path.join(root, 'index.html'), '<!doctype html><title>dashboard</title>')

describe('static dashboard files', () => {
  it('serves index.html for a client-side route', async () => {
    const url = await serveClientDir(withIndex)
    const res = await rawGet(url, '/requests/123')
    expect(res).toEqual({ status: 200, body: '<!doctype html><title>dashboard</title>' })
  })

  it.each(['/%E0%A4%A', '/%zz', '/assets/%'])('answers 400 to the malformed percent-encoding in %s', async (requestPath) => {
    const url = await serveClientDir(withIndex)
    const res = await rawGet(url, requestPath)
    expect(res.status).toBe(400)
    expect(res.body).toContain('percent-encoding')
    expect((await rawGet(url, '/')).status).toBe(200)
  })

  it.each([
    ['missing', async () => undefined],
    ['a directory', async (root: string) => void (await mkdir(path.join(root, 'index.html')))],
    ['a symlink to a missing target', async (root: string) => symlink(path.join(root, 'gone.html'), path.join(root, 'index.html'))],
  ])('answers 404 with a clear message when index.html is %s', async (_what, arrange: (root: string) => Promise<void>) => {
    const url = await serveClientDir(arrange)
    const res = await rawGet(url, '/')
    expect(res.status).toBe(404)
    expect(res.body).toContain('index.html')
  })

  it('answers 500 and keeps serving when a file fails to read', async () => {
    // /proc/self/mem stats as a regular file but fails with EIO on its first read, as a file on a
    // failing disk would (chmod cannot make a file unreadable for root).
    const url = await serveClientDir(async (root) => {
      await withIndex(root)
      await symlink('/proc/self/mem', path.join(root, 'broken.js'))
    })
    const res = await rawGet(url, '/broken.js')
    expect(res.status).toBe(500)
    expect(res.body).toContain('broken.js')
    expect((await rawGet(url, '/')).status).toBe(200)
  })
})
