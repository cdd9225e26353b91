import { matchesScimFilter } from './scim-filter.evaluator';
import { parseScimFilter } from './scim-filter.parser';

const user = {
  userName: 'Bjensen',
  displayName: 'Babs Jensen',
  title: '',
  active: true,
  loginCount: 42,
  meta: { created: '2020-12-15T10:00:00+01:00', resourceType: 'User' },
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  tags: ['blue', 'green'],
  correlationId: '123',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '701984' },
};

const matches = (filter: string, obj: Record<string, unknown> = user) =>
  matchesScimFilter(parseScimFilter(filter), obj);

describe('matchesScimFilter', () => {
  it.each([
    ['userName eq "bjensen"', true],
    ['USERNAME EQ "BJENSEN"', true],
    ['userName ne "bjensen"', false],
    ['userName ne "other"', true],
    ['userName co "JENS"', true],
    ['userName sw "bj"', true],
    ['userName sw "je"', false],
    ['userName ew "SEN"', true],
    ['userName gt "a"', true],
    ['userName ge "bjensen"', true],
    ['userName lt "bjensen"', false],
    ['userName le "c"', true],
    ['title pr', false],
    ['displayName pr', true],
    ['nickName pr', false],
    ['nickName eq null', true],
    ['nickName ne "x"', true],
    ['nickName eq "x"', false],
    ['nickName co "x"', false],
    ['userName eq null', false],
    ['userName ne null', true],
  ])('strings: %s → %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  it.each([
    ['loginCount eq 42', true],
    ['loginCount gt 41.5', true],
    ['loginCount le -1', false],
    ['loginCount eq "42"', false],
    ['loginCount ne "42"', true],
    ['loginCount co 4', false],
    ['correlationId eq 123', true],
    ['correlationId sw 12', true],
    ['active eq true', true],
    ['active ne true', false],
    ['active eq false', false],
    ['active gt false', false],
    ['active eq "true"', false],
  ])('numbers and booleans: %s → %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  it.each([
    ['meta.created eq "2020-12-15T09:00:00Z"', true],
    ['meta.created gt "2020-12-15T09:30:00Z"', false],
    ['meta.created lt "2020-12-15T09:30:00.000Z"', true],
    ['meta.created ge "2020-12-15T10:00:00+01:00"', true],
    ['meta.created sw "2020-12-15"', true],
  ])('date-times compare as instants: %s → %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  it.each([
    ['name.givenName eq "barbara"', true],
    ['NAME.GIVENNAME eq "barbara"', true],
    ['name[givenName sw "B" and familyName eq "jensen"]', true],
    ['name[givenName sw "X"]', false],
    ['name pr', true],
    ['emails[type eq "work" and value co "@example.com"]', true],
    ['emails[type eq "home" and value co "@example.com"]', false],
    ['emails[primary eq true]', true],
    ['emails[not (primary pr)]', true],
    ['emails co "@jensen.org"', true],
    ['emails.value ew ".org"', true],
    ['emails.type eq "other"', false],
    ['emails pr', true],
    ['tags eq "green"', true],
    ['tags eq "red"', false],
    ['urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984"', true],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen"', true],
  ])('complex and multi-valued: %s → %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  it.each([
    ['userName eq "bjensen" or loginCount eq 0 and active eq false', true],
    ['(userName eq "bjensen" or loginCount eq 0) and active eq false', false],
    ['not (userName eq "bjensen")', false],
    ['not (nickName eq "x")', true],
    ['not (not (active eq true))', true],
  ])('logic: %s → %s', (filter, expected) => {
    expect(matches(filter)).toBe(expected);
  });

  it('treats an empty array as having no value', () => {
    const obj = { emails: [], tags: {} };
    expect(matches('emails pr', obj)).toBe(false);
    expect(matches('emails eq null', obj)).toBe(true);
    expect(matches('emails[type eq "work"]', obj)).toBe(false);
    expect(matches('tags pr', obj)).toBe(false);
    expect(matches('tags eq null', obj)).toBe(true);
    expect(matches('tags ne null', obj)).toBe(false);
  });

  it('filters elements for a PATCH value path', () => {
    const filter = parseScimFilter('type eq "work"');
    expect(user.emails.filter((e) => matchesScimFilter(filter, e))).toEqual([user.emails[0]]);
  });

  it('prefers an exact key over a case-insensitive one', () => {
    expect(matches('a eq "exact"', { A: 'other', a: 'exact' })).toBe(true);
  });
});
