import { ScalarType, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';
import { reflect, type ReflectMessage } from '@bufbuild/protobuf/reflect';
import type { FieldViolation } from './errors.js';

/** Whether `text` holds a control character (C0 or DEL), tab, newline and return excepted. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) || code === 0x7f) return true;
  }
  return false;
}

const snake = (field: DescField) => field.name;

function checkString(value: unknown, path: string, out: FieldViolation[]): void {
  if (typeof value === 'string' && hasControlCharacter(value)) {
    out.push({
      field: path,
      reason: 'CONTROL_CHARACTER',
      description: 'text may not contain control characters (such as NUL)',
    });
  }
}

function walk(message: ReflectMessage, prefix: string, out: FieldViolation[], depth: number): void {
  if (depth > 32 || out.length >= 20) return;
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    const path = `${prefix}${snake(field)}`;
    switch (field.fieldKind) {
      case 'scalar':
        if (field.scalar === ScalarType.STRING) checkString(message.get(field), path, out);
        break;
      case 'message':
        walk(message.get(field) as ReflectMessage, `${path}.`, out, depth + 1);
        break;
      case 'list': {
        let index = 0;
        for (const item of message.get(field) as Iterable<unknown>) {
          if (field.listKind === 'scalar' && field.scalar === ScalarType.STRING)
            checkString(item, `${path}[${index}]`, out);
          else if (field.listKind === 'message')
            walk(item as ReflectMessage, `${path}[${index}].`, out, depth + 1);
          index += 1;
        }
        break;
      }
      case 'map':
        for (const [key, item] of message.get(field) as Iterable<[unknown, unknown]>) {
          checkString(key, `${path}[key]`, out);
          if (field.mapKind === 'scalar' && field.scalar === ScalarType.STRING)
            checkString(item, `${path}[${String(key)}]`, out);
          else if (field.mapKind === 'message')
            walk(item as ReflectMessage, `${path}[${String(key)}].`, out, depth + 1);
        }
        break;
      case 'enum':
        break;
    }
  }
}

/**
 * Field violations for control characters anywhere in a request's text, whatever the RPC: a NUL
 * in a string reached PostgreSQL and came back as INTERNAL. Checked for every request before its
 * handler runs, so no handler needs to remember it.
 */
export function controlCharacterViolations(schema: DescMessage, message: Message): FieldViolation[] {
  const out: FieldViolation[] = [];
  walk(reflect(schema, message), '', out, 0);
  return out;
}
