/**
 * A jsonb[] read from one parameter holding a JSON array of the values, in order, a JSON
 * `null` element read as SQL NULL. For column-wise inserts (`unnest`): the driver escapes
 * every element of an array parameter, and a jsonb element is quotes throughout, while a
 * JSON array is sent as it is, from one JSON.stringify or from text rendered already.
 */
export function jsonbArrayParam(parameter: string): string {
  // Split as json (text slices), each element then read as jsonb once: splitting a jsonb
  // parsed the whole document and copied every element out of it, twice the server's work.
  return `ARRAY(SELECT NULLIF(e::jsonb, 'null') FROM json_array_elements(${parameter}::json)
    WITH ORDINALITY AS j(e, n) ORDER BY n)`;
}

/** The JSON array of texts that are JSON already (what `jsonbArrayParam` reads). */
export function jsonArrayText(texts: string[]): string {
  return `[${texts.join(',')}]`;
}
