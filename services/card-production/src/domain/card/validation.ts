import type { FieldViolation } from '@cancuoc/identity';
import type { CardCommand } from './commands.js';
import { InvalidCardCommandError } from './errors.js';

const CHIP_SERIAL = /^[A-Z0-9-]{4,64}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;
const SHIPMENT = /^[A-Za-z0-9._-]{1,100}$/;
const UNIT_CODE = /^(\d{3}|\d{5})$/;
const MAX_DETAIL = 500;
const MAX_DEFECTS = 20;

/**
 * The shape of what stations and operators send, checked before any rule: every field at fault is
 * reported at once. Values are never repeated in the descriptions (they may reach logs).
 */
export function validateCommand(command: CardCommand): void {
  const violations: FieldViolation[] = [];
  const check = (ok: boolean, field: string, reason: string, description: string) => {
    if (!ok) violations.push({ field, reason, description });
  };
  switch (command.type) {
    case 'CompleteEncoding':
      check(
        CHIP_SERIAL.test(command.chipSerial),
        'chipSerial',
        'INVALID_FORMAT',
        '4 to 64 of A–Z, 0–9 and -',
      );
      check(
        SHA256.test(command.readBackSha256),
        'readBackSha256',
        'INVALID_FORMAT',
        '64 lower-case hex digits',
      );
      break;
    case 'FailEncoding':
      check(
        command.chipSerial === null || CHIP_SERIAL.test(command.chipSerial),
        'chipSerial',
        'INVALID_FORMAT',
        '4 to 64 of A–Z, 0–9 and -',
      );
      check(command.detail.length <= MAX_DETAIL, 'detail', 'TOO_LONG', `at most ${MAX_DETAIL} characters`);
      break;
    case 'RecordQualityCheck':
      check(command.defects.length <= MAX_DEFECTS, 'defects', 'TOO_MANY', `at most ${MAX_DEFECTS} defects`);
      check(
        command.defects.every((d) => CODE.test(d)),
        'defects',
        'INVALID_FORMAT',
        'UPPER_SNAKE_CASE codes',
      );
      check(
        command.passed || command.defects.length > 0,
        'defects',
        'REQUIRED',
        'a failed check names its defects',
      );
      check(
        !command.passed || command.defects.length === 0,
        'defects',
        'UNEXPECTED',
        'a passed check has no defects',
      );
      break;
    case 'ShipCard':
      check(
        SHIPMENT.test(command.shipmentId),
        'shipmentId',
        'INVALID_FORMAT',
        '1 to 100 of A–Z, a–z, 0–9, ., _ and -',
      );
      check(
        UNIT_CODE.test(command.destinationUnitCode),
        'destinationUnitCode',
        'INVALID_FORMAT',
        'a 3-digit province or 5-digit commune code',
      );
      break;
    case 'DeliverCard':
      check(
        UNIT_CODE.test(command.unitCode),
        'deliveredAtUnitCode',
        'INVALID_FORMAT',
        'a 3-digit province or 5-digit commune code',
      );
      break;
    case 'CancelCard':
      check(CODE.test(command.reason), 'reason', 'INVALID_FORMAT', 'an UPPER_SNAKE_CASE code');
      break;
    case 'RequestCard':
    case 'RecordPersonalisation':
    case 'FailPersonalisation':
    case 'LeaseJob':
    case 'ReleaseLease':
    case 'ExtendLease':
    case 'ExpireLease':
    case 'ActivateCard':
    case 'RevokeCard':
    case 'RetryCard':
    case 'OrderReprint':
      break;
    default: {
      const unknown: never = command;
      throw new Error(`unknown card command ${(unknown as CardCommand).type}`);
    }
  }
  if (violations.length > 0) throw new InvalidCardCommandError(violations);
}
