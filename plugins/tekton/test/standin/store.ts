import { randomBytes, randomUUID } from 'node:crypto'

/** A Kubernetes object as the stand-in keeps it. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    uid?: string
    resourceVersion?: string
    generation?: number
    creationTimestamp?: string
    deletionTimestamp?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }[]
    generateName?: string
    [key: string]: unknown
  }
  spec?: Record<string, unknown>
  status?: Record<string, unknown>
  [key: string]: unknown
}

export type WatchType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface WatchEvent {
  rv: number
  type: WatchType
  plural: string
  object: KubeObject
}

export interface Selector {
  namespace?: string | undefined
  labels?: string | undefined
  fields?: string | undefined
}

const clone = <T>(value: T): T => structuredClone(value)

// `a=b,c!=d,e` (equality and existence), as kubectl and the client send them.
function labelsMatch(selector: string | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return true
  return selector.split(',').every((term) => {
    const t = term.trim()
    if (!t) return true
    const ne = /^([^!=]+)!=(.*)$/.exec(t)
    if (ne) return labels[ne[1]!.trim()] !== ne[2]!.trim()
    const eq = /^([^!=]+)==?(.*)$/.exec(t)
    if (eq) return labels[eq[1]!.trim()] === eq[2]!.trim()
    if (t.startsWith('!')) return !(t.slice(1) in labels)
    return t in labels
  })
}

function fieldsMatch(selector: string | undefined, object: KubeObject): boolean {
  if (!selector) return true
  return selector.split(',').every((term) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term.trim())
    if (!m) return true
    const value =
      m[1] === 'metadata.name'
        ? object.metadata.name
        : m[1] === 'metadata.namespace'
          ? object.metadata.namespace
          : undefined
    return m[2] === '!=' ? value !== m[3] : value === m[3]
  })
}

export function matches(object: KubeObject, plural: string, wanted: string, selector: Selector): boolean {
  if (plural !== wanted) return false
  if (selector.namespace !== undefined && object.metadata.namespace !== selector.namespace) return false
  return labelsMatch(selector.labels, object.metadata.labels) && fieldsMatch(selector.fields, object)
}

/**
 * Objects by resource, namespace and name, each write a new resourceVersion, and a history of
 * every change so a watch can start from any version a list returned.
 */
export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>()
  readonly history: WatchEvent[] = []
  private rv = 1
  private readonly listeners = new Set<(event: WatchEvent) => void>()

  get resourceVersion(): string {
    return String(this.rv)
  }

  private key(plural: string, namespace: string | undefined, name: string): string {
    return `${plural}/${namespace ?? ''}/${name}`
  }

  get(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(this.key(plural, namespace, name))
    return found ? clone(found) : undefined
  }

  list(plural: string, selector: Selector): KubeObject[] {
    return [...this.objects.entries()]
      .filter(([key, o]) => key.startsWith(`${plural}/`) && matches(o, plural, plural, selector))
      .map(([, o]) => clone(o))
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
  }

  uniqueName(plural: string, namespace: string | undefined, prefix: string): string {
    for (;;) {
      const name = `${prefix}${randomBytes(3).toString('hex').slice(0, 5)}`
      if (!this.objects.has(this.key(plural, namespace, name))) return name
    }
  }

  create(plural: string, object: KubeObject): KubeObject {
    const stored = clone(object)
    stored.metadata.uid = randomUUID()
    stored.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    stored.metadata.generation = 1
    return this.write(plural, stored, 'ADDED')
  }

  /** Replaces an object; the generation moves only when its spec does (as for CRDs with status). */
  update(plural: string, object: KubeObject): KubeObject {
    const prior = this.objects.get(this.key(plural, object.metadata.namespace, object.metadata.name))
    const stored = clone(object)
    if (prior && JSON.stringify(prior.spec) !== JSON.stringify(stored.spec))
      stored.metadata.generation = (prior.metadata.generation ?? 1) + 1
    return this.write(plural, stored, 'MODIFIED')
  }

  delete(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = this.key(plural, namespace, name)
    const prior = this.objects.get(key)
    if (!prior) return undefined
    this.objects.delete(key)
    const gone = clone(prior)
    gone.metadata.resourceVersion = String(++this.rv)
    this.emit({ rv: this.rv, type: 'DELETED', plural, object: gone })
    return clone(gone)
  }

  onChange(listener: (event: WatchEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private write(plural: string, object: KubeObject, type: WatchType): KubeObject {
    object.metadata.resourceVersion = String(++this.rv)
    this.objects.set(this.key(plural, object.metadata.namespace, object.metadata.name), object)
    this.emit({ rv: this.rv, type, plural, object: clone(object) })
    return clone(object)
  }

  private emit(event: WatchEvent): void {
    this.history.push(event)
    for (const listener of this.listeners) listener(event)
  }
}
