import { FakeClock } from '../../fakes/fake-clock.js';
import { FakeIssuer } from '../../fakes/fake-issuer.js';
import { podIdentity } from './identities.js';
import { x509IssuerContract } from './x509-issuer-contract.js';

x509IssuerContract('FakeIssuer', async () => {
  const clock = new FakeClock(Date.now());
  const issuer = new FakeIssuer(clock);
  return { issuer, identity: podIdentity(1), now: () => clock.now(), trustAnchors: [issuer.ca.certDer] };
});
