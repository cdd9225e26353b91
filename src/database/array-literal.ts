/**
 * Elements an array literal takes as they are: no quote, backslash, comma, brace, space or
 * anything else the literal's grammar reads specially. Ids, hashes, MACs and ISO times are.
 */
const BARE = /^[0-9A-Za-z_.:+@-]+$/;

/**
 * PostgreSQL's array literal (`{a,"b c",NULL}`) of text elements, for a column sent as one
 * parameter and cast (`$2::uuid[]`): the elements that need no quoting (most of a batch's:
 * ids, hashes, times) are written bare, in one join, where the driver would quote and escape
 * every one; the others are quoted as the driver does. `null` is SQL NULL; an element that
 * reads `NULL` itself is quoted.
 */
export function arrayLiteral(values: readonly (string | null)[]): string {
  if (values.every(isBare)) return `{${values.join(',')}}`;
  return `{${values.map(element).join(',')}}`;
}

function isBare(value: string | null): boolean {
  // Only a four-letter element can read NULL: no upper-cased copy of every other one.
  return (
    value !== null && BARE.test(value) && (value.length !== 4 || value.toUpperCase() !== 'NULL')
  );
}

function element(value: string | null): string {
  if (value === null) return 'NULL';
  if (isBare(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
