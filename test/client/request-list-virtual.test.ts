import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { ref, shallowRef } from 'vue'
import RequestList from '../../client/src/components/requests/RequestList.vue'
import type { ListState, RequestList as RequestListState } from '../../client/src/composables/use-request-list'
import type { RequestSummary } from '../../client/src/graphql/documents'
import { recordedRequest, summaryOf } from '../support/fake-graphql-server'

/** A loaded list of `count` requests, newest first, all pages in. */
function loadedList(count: number): RequestListState {
  const template = summaryOf(recordedRequest())
  const items: RequestSummary[] = Array.from({ length: count }, (_, i) => ({ ...template, id: `request-${i}`, model: `model-${i}` }))
  return {
    items: shallowRef(items),
    state: ref<ListState>('done'),
    error: shallowRef(null),
    totalCount: ref(count),
    loadMore: async () => {},
    catchUp: async () => 0,
    reload: () => {},
  }
}

function mountList(count: number) {
  const selected = ref<string | null>(null)
  const wrapper = mount(RequestList, {
    props: { list: loadedList(count), isFiltered: false, selected: selected.value, 'onUpdate:selected': (id: string | null) => void (selected.value = id) },
    attachTo: document.body,
  })
  return { wrapper, selected }
}

const renderedRows = (wrapper: ReturnType<typeof mountList>['wrapper']) => wrapper.findAll('tr.request-row')
const press = async (key: string, target: EventTarget = document.activeElement ?? document.body) => {
  target.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }))
  await flushPromises()
}

afterEach(() => {
  document.body.innerHTML = ''
  window.scrollTo(0, 0)
})

describe('virtualised request list', () => {
  it('keeps only a window of rows in the DOM for 100,000 requests, with spacers of the exact height of the others', async () => {
    const { wrapper } = mountList(100_000)
    await flushPromises()

    const rows = renderedRows(wrapper)
    expect(rows.length).toBeGreaterThan(5)
    expect(rows.length).toBeLessThan(100)
    expect(rows[0]!.attributes('data-request-id')).toBe('request-0')
    expect(wrapper.get('table').attributes('aria-rowcount')).toBe('100001')
    expect(rows.map((row) => row.attributes('aria-rowindex'))).toEqual(rows.map((_, i) => String(i + 2)))
    const spacer = wrapper.findAll('tr.spacer td').map((cell) => Number.parseFloat((cell.element as HTMLElement).style.height))
    expect(spacer.reduce((a, b) => a + b, 0) + rows.length * 52).toBe(100_000 * 52)
    wrapper.unmount()
  })

  it('renders the rows around where the page is scrolled to, deep in the list', async () => {
    const { wrapper } = mountList(100_000)
    await flushPromises()
    window.scrollTo(0, 52 * 60_000)
    window.dispatchEvent(new Event('scroll'))
    await flushPromises()

    const ids = renderedRows(wrapper).map((row) => Number(row.attributes('data-request-id')!.slice('request-'.length)))
    expect(ids.length).toBeLessThan(100)
    expect(ids).toContain(60_000)
    expect(Math.min(...ids)).toBeGreaterThan(59_900)
    wrapper.unmount()
  })

  it('moves a cursor with j/k and the arrows, focusing the row, and opens the row under it with Enter', async () => {
    const { wrapper, selected } = mountList(1_000)
    await flushPromises()

    await press('j', document.body)
    await press('j')
    await press('ArrowDown')
    await press('k')
    expect(wrapper.get('tr.cursor').attributes('data-request-id')).toBe('request-1')
    expect(document.activeElement?.closest('tr')?.getAttribute('data-request-id')).toBe('request-1')

    await press('Enter', document.body)
    expect(selected.value).toBe('request-1')
    wrapper.unmount()
  })

  it('leaves keys typed into a field alone', async () => {
    const { wrapper, selected } = mountList(10)
    const field = document.body.appendChild(document.createElement('input'))
    field.focus()
    await press('j', field)
    await press('Enter', field)
    expect(wrapper.find('tr.cursor').exists()).toBe(false)
    expect(selected.value).toBe(null)
    wrapper.unmount()
  })
})
