import { ApiError } from '../common/api-error';
import { ScimFilterError } from '../scim/filter';
import { endpointOf, readLogStreamInput } from './log-stream-input';

const refusal = (body: unknown, create = true): unknown => {
  try {
    readLogStreamInput(body, create);
  } catch (error) {
    return error;
  }
  throw new Error('accepted');
};

describe('log stream input', () => {
  it('takes https anywhere and http only to loopback', () => {
    expect(readLogStreamInput({ url: 'https://siem.example.com/in' }, true).url).toBe(
      'https://siem.example.com/in',
    );
    for (const url of ['http://127.0.0.1:8080/x', 'http://localhost/x', 'http://[::1]:9/x']) {
      expect(readLogStreamInput({ url }, true).url).toBeDefined();
    }
    for (const url of ['http://10.0.0.1/x', 'http://example.com/', 'ftp://127.0.0.1/']) {
      expect(refusal({ url })).toBeInstanceOf(ApiError);
    }
  });

  it('refuses credentials, fragments, unknown members and a status on create', () => {
    expect(refusal({ url: 'https://a:b@example.com/' })).toBeInstanceOf(ApiError);
    expect(refusal({ url: 'https://example.com/#x' })).toBeInstanceOf(ApiError);
    expect(refusal({ url: 'https://example.com/', secret: 'mine' })).toBeInstanceOf(ApiError);
    expect(refusal({ url: 'https://example.com/', status: 'paused' })).toBeInstanceOf(ApiError);
    expect(readLogStreamInput({ status: 'paused' }, false)).toEqual({ status: 'paused' });
  });

  it('checks the filter with the audit filter compiler; null or empty removes it', () => {
    expect(refusal({ url: 'https://e.com/', filter: 'colour eq "red"' })).toBeInstanceOf(
      ScimFilterError,
    );
    expect(readLogStreamInput({ filter: '' }, false)).toEqual({ filter: null });
    expect(readLogStreamInput({ filter: 'coi pr' }, false)).toEqual({ filter: 'coi pr' });
  });

  it('leaves the query out of the endpoint shown in records and logs', () => {
    expect(endpointOf('https://siem.example.com/in?token=abc')).toBe('https://siem.example.com/in');
  });
});
