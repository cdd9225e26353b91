import { createHmac, timingSafeEqual } from 'node:crypto';
import { newStreamSecret, signDelivery } from './log-stream-signature';

describe('log stream signature', () => {
  it('is the HMAC-SHA256 of "<t>.<body>", as the receivers guide verifies it', () => {
    const secret = newStreamSecret();
    const body = '{"records":[]}';
    const header = signDelivery(secret, body, 1765000000);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)!;
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
    expect(timingSafeEqual(Buffer.from(v1, 'hex'), expected)).toBe(true);
  });

  it('generates secrets of 256 random bits', () => {
    const a = newStreamSecret();
    expect(a).toMatch(/^lss_[A-Za-z0-9_-]{43}$/);
    expect(newStreamSecret()).not.toBe(a);
  });
});
