import { FakePodSource, toPodInfo } from '../../fakes/fake-pod-source.js';
import { podSourceContract } from './pod-source-contract.js';

// Keeps the fake honest: the same contract KubeletPodSource runs against the kubelet double.
podSourceContract('FakePodSource', async (initial) => {
  const source = new FakePodSource({ pods: initial.map(toPodInfo), waitMs: 300 });
  return {
    source,
    setPods: (pods) => source.setPods(pods.map(toPodInfo)),
    close: async () => {},
  };
});
