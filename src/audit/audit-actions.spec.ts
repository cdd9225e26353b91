import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_ACTION_CATALOGUE, AUDIT_ACTIONS } from './audit-actions';

const PAGE = join(__dirname, '../../docs/audit-events.md');
const BEGIN = '<!-- catalogue:begin (generated from src/audit/audit-actions.ts) -->';
const END = '<!-- catalogue:end -->';

/** The catalogue as docs/audit-events.md publishes it: one section per action. */
function renderCatalogue(): string {
  const sections = AUDIT_ACTIONS.map((action) => {
    const entry = AUDIT_ACTION_CATALOGUE[action];
    const params = Object.entries(entry.parameters as Record<string, string | null>).filter(
      (p): p is [string, string] => p[1] !== null,
    );
    return [
      `### \`${action}\``,
      '',
      `- **Written**: ${entry.when}.`,
      `- **Changes**: ${entry.changes === false ? 'none' : entry.changes}.`,
      `- **Parameters** (besides \`Action\`, and \`COI\` in a long-running flow):` +
        (params.length === 0 ? ' none.' : ''),
      ...params.map(([key, text]) => `  - \`${key}\`: ${text}`),
    ].join('\n');
  });
  return [BEGIN, '', ...sections.flatMap((s) => [s, '']), END].join('\n');
}

describe('docs/audit-events.md', () => {
  it('publishes exactly the typed catalogue (UPDATE_AUDIT_EVENTS=1 rewrites it)', () => {
    const page = readFileSync(PAGE, 'utf8');
    const start = page.indexOf(BEGIN);
    const end = page.indexOf(END);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(start);
    const published = page.slice(start, end + END.length);
    const expected = renderCatalogue();
    if (published !== expected && process.env.UPDATE_AUDIT_EVENTS === '1') {
      writeFileSync(PAGE, page.slice(0, start) + expected + page.slice(end + END.length));
      return;
    }
    expect(published).toBe(expected);
  });

  it('describes every action of the catalogue', () => {
    expect(Object.keys(AUDIT_ACTION_CATALOGUE).sort()).toEqual([...AUDIT_ACTIONS].sort());
  });
});
