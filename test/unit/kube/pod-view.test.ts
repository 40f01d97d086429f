import { describe, expect, it } from '@jest/globals';
import { PodView } from '../../../src/kube/pod-view.js';
import type { PodInfo } from '../../../src/kube/index.js';

// Unit test of a folder-internal module (tests may reach inside the folder they mirror).

function pod(name: string, uid: string): PodInfo {
  return {
    uid,
    namespace: 'apps',
    name,
    nodeName: 'node-a',
    serviceAccount: 'default',
    phase: 'Running',
    labels: {},
    annotations: {},
    ownerReferences: [],
    containers: [],
    initContainers: [],
    volumes: [],
  };
}

function viewWithEvents() {
  const events: string[] = [];
  const errors: unknown[] = [];
  const view = new PodView((e) => errors.push(e));
  view.onPodGone((uid, reason) => events.push(`${uid} ${reason}`));
  return { view, events, errors };
}

describe('PodView', () => {
  it('reports a deleted pod once, by its uid', () => {
    const { view, events } = viewWithEvents();
    view.upsert(pod('web', 'u1'));
    view.remove(pod('web', 'u1'));
    view.remove(pod('web', 'u1'));
    expect(events).toEqual(['u1 deleted']);
    expect(view.get('apps', 'web')).toBeUndefined();
  });

  it('reports the old uid as replaced when the same name comes back with a new uid', () => {
    const { view, events } = viewWithEvents();
    view.upsert(pod('db-0', 'u1'));
    view.upsert(pod('db-0', 'u2'));
    expect(events).toEqual(['u1 replaced']);
    expect(view.get('apps', 'db-0')?.uid).toBe('u2');
  });

  it('ignores a late DELETED for a uid that was already replaced', () => {
    const { view, events } = viewWithEvents();
    view.upsert(pod('db-0', 'u2'));
    view.remove(pod('db-0', 'u1'));
    expect(events).toEqual([]);
    expect(view.get('apps', 'db-0')?.uid).toBe('u2');
  });

  it('reports what vanished or changed uid when a fresh list replaces the view', () => {
    const { view, events } = viewWithEvents();
    view.replaceAll([pod('a', 'u1'), pod('b', 'u2'), pod('c', 'u3')]);
    view.replaceAll([pod('a', 'u1'), pod('b', 'u4'), pod('d', 'u5')]);
    expect(events.sort()).toEqual(['u2 replaced', 'u3 deleted']);
    expect(view.size).toBe(3);
  });

  it('keeps notifying other listeners when one throws', () => {
    const { view, events, errors } = viewWithEvents();
    const unsubscribe = view.onPodGone(() => {
      throw new Error('listener bug');
    });
    view.upsert(pod('web', 'u1'));
    view.remove(pod('web', 'u1'));
    unsubscribe();
    expect(events).toEqual(['u1 deleted']);
    expect(errors).toHaveLength(1);
  });
});
