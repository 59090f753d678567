/**
 * The fields of one CSV record (RFC 4180: comma-separated, fields optionally in double quotes, a
 * doubled quote for a quote inside them, line breaks allowed inside quotes). `undefined` when the
 * record is malformed: text after a closing quote, or a quote that never closes.
 */
export function parseCsvRecord(text: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 0x22) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const close = text.indexOf('"', from);
        if (close < 0) return undefined;
        value += text.slice(from, close);
        if (text.charCodeAt(close + 1) === 0x22) {
          value += '"';
          from = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      if (i < text.length && text.charCodeAt(i) !== 0x2c) return undefined;
      fields.push(value);
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? text.length : comma;
      fields.push(text.slice(i, end));
      i = end;
    }
    if (i >= text.length) return fields;
    i += 1; // past the comma; a comma at the very end leaves one more, empty, field
    if (i === text.length) {
      fields.push('');
      return fields;
    }
  }
}
