import { describe, expect, it } from 'vitest';
import { EditableFieldsSchema, type EditableFields } from '@cheqpoint/shared';
import { AppError } from '../http/app-error.js';
import { assertModifiedDetailsAllowed, checkModifiedDetails } from './edit-limits.js';

const limits = (value: EditableFields) => EditableFieldsSchema.parse(value);
const original = { ticket_id: '7', amount: 50, reason: 'late', customer: { tier: 'gold', name: 'Ann' } };

describe('Bounded edits', () => {
  it('When no rule declares editableFields, then any edit is allowed', () => {
    expect(checkModifiedDetails(null, original, { anything: true })).toEqual([]);
  });

  it('When amount may only go down, then lowering passes and raising is refused with the reason', () => {
    const bounds = limits({ amount: { type: 'number', mayOnlyDecrease: true } });
    expect(checkModifiedDetails(bounds, original, { ...original, amount: 30 })).toEqual([]);
    expect(checkModifiedDetails(bounds, original, { ...original, amount: 50 })).toEqual([]);
    expect(checkModifiedDetails(bounds, original, { ...original, amount: 80 })).toEqual([
      { path: 'modifiedDetails.amount', message: 'amount may only decrease (was 50, got 80)' },
    ]);
  });

  it('When a field not listed is changed, added or removed, then each is refused as not editable', () => {
    const bounds = limits({ amount: { type: 'number' } });
    const { reason: _reason, ...withoutReason } = original;
    const reasons = checkModifiedDetails(bounds, original, {
      ...withoutReason,
      ticket_id: '8',
      extra: 1,
      customer: { tier: 'gold', name: 'Bob' },
    });
    expect(reasons.map((r) => r.path).sort()).toEqual([
      'modifiedDetails.customer.name',
      'modifiedDetails.extra',
      'modifiedDetails.reason',
      'modifiedDetails.ticket_id',
    ]);
    expect(reasons[0]?.message).toMatch(/is not editable \(only amount may change\)/);
  });

  it('When editableFields is empty, then no field may change', () => {
    expect(checkModifiedDetails(limits({}), original, { ...original, amount: 1 })).toEqual([
      { path: 'modifiedDetails.amount', message: 'amount is not editable (only no fields may change)' },
    ]);
  });

  it('When type, min, max, oneOf and mayOnlyIncrease are set, then each is enforced on changed values', () => {
    const bounds = limits({
      amount: { min: 10, max: 60 },
      reason: { type: 'string', oneOf: ['late', 'damaged'] },
      'customer.tier': { mayOnlyIncrease: true },
    });
    const check = (patch: Record<string, unknown>) =>
      checkModifiedDetails(bounds, original, { ...original, ...patch }).map((r) => r.message);
    expect(check({ amount: 5 })).toEqual(['amount must be at least 10']);
    expect(check({ amount: 61 })).toEqual(['amount must be at most 60']);
    expect(check({ amount: 'twenty' })).toEqual(['amount must be a number']);
    expect(check({ amount: '20.00' })).toEqual([]);
    expect(check({ reason: 'lost' })).toEqual(['reason must be one of "late", "damaged"']);
    expect(check({ reason: 3 })).toEqual(['reason must be a string']);
    expect(check({ amount: 10, reason: 'damaged' })).toEqual([]);
    expect(check({ customer: { tier: 'platinum', name: 'Ann' } })).toEqual(['customer.tier must be a number']);
    expect(check({ customer: { tier: 3, name: 'Ann' } })).toEqual([
      'customer.tier cannot be compared with the original value ("gold")',
    ]);
  });

  it('When an amount arrives as a decimal string, then mayOnlyDecrease compares its value unless type is number', () => {
    const asText = { amount: '50.00' };
    expect(checkModifiedDetails(limits({ amount: { mayOnlyDecrease: true } }), asText, { amount: 30 })).toEqual([]);
    expect(checkModifiedDetails(limits({ amount: { mayOnlyDecrease: true } }), asText, { amount: '60' })).toEqual([
      { path: 'modifiedDetails.amount', message: 'amount may only decrease (was "50.00", got "60")' },
    ]);
    expect(
      checkModifiedDetails(limits({ amount: { type: 'number', mayOnlyDecrease: true } }), asText, { amount: '30' }),
    ).toEqual([{ path: 'modifiedDetails.amount', message: 'amount must be a number' }]);
  });

  it('When an editable field is removed, then it is refused; unchanged out-of-bounds values pass', () => {
    const bounds = limits({ amount: { max: 10 } });
    const { amount: _amount, ...withoutAmount } = original;
    expect(checkModifiedDetails(bounds, original, withoutAmount).map((r) => r.message)).toEqual([
      'amount may not be removed',
    ]);
    expect(checkModifiedDetails(bounds, original, { ...original })).toEqual([]);
  });

  it('When a nested field is editable, then its siblings stay locked, also when the parent is replaced', () => {
    const bounds = limits({ 'customer.tier': { oneOf: ['gold', 'silver'] } });
    expect(checkModifiedDetails(bounds, original, { ...original, customer: { tier: 'silver', name: 'Ann' } })).toEqual(
      [],
    );
    expect(
      checkModifiedDetails(bounds, original, { ...original, customer: { tier: 'silver' } }).map((r) => r.path),
    ).toEqual(['modifiedDetails.customer.name']);
    expect(checkModifiedDetails(bounds, original, { ...original, customer: 'none' }).map((r) => r.path)).toEqual([
      'modifiedDetails.customer.tier',
      'modifiedDetails.customer',
    ]);
  });

  it('When array items change, then the path names the index', () => {
    const withItems = { items: [{ sku: 'A', qty: 2 }] };
    const bounds = limits({ 'items.0.qty': { mayOnlyDecrease: true } });
    expect(checkModifiedDetails(bounds, withItems, { items: [{ sku: 'A', qty: 1 }] })).toEqual([]);
    expect(checkModifiedDetails(bounds, withItems, { items: [{ sku: 'B', qty: 1 }] })).toEqual([
      { path: 'modifiedDetails.items[0].sku', message: 'items.0.sku is not editable (only items.0.qty may change)' },
    ]);
  });

  it('When the edit is refused, then assertModifiedDetailsAllowed throws a 422 unprocessable with the reasons', () => {
    const bounds = limits({ amount: { mayOnlyDecrease: true } });
    expect(() => assertModifiedDetailsAllowed(bounds, original, { ...original, amount: 30 })).not.toThrow();
    try {
      assertModifiedDetailsAllowed(bounds, original, { ...original, amount: 99 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      const problem = (err as AppError).toProblem();
      expect(problem).toMatchObject({
        status: 422,
        type: 'urn:cheqpoint:problem:unprocessable',
        errors: [{ path: 'modifiedDetails.amount', message: 'amount may only decrease (was 50, got 99)' }],
      });
    }
  });
});
