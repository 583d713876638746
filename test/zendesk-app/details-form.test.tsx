import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { limitsFromEditableFields } from '../../zendesk-app/src/app/api/approval-view';
import { DetailsDiff } from '../../zendesk-app/src/app/components/DetailsDiff';
import { ModifyForm } from '../../zendesk-app/src/app/components/ModifyForm';
import { ThemeRoot } from '../../zendesk-app/src/app/components/ThemeRoot';
import {
  buildModifiedDetails,
  diffDetails,
  fieldSpecs,
  initialValues,
  type FieldLimits,
  type FieldValue,
} from '../../zendesk-app/src/app/lib/details-form';
import { humanizeAction } from '../../zendesk-app/src/app/lib/format';
import { createTranslator } from '../../zendesk-app/src/app/lib/i18n';

const t = createTranslator('en');
const DETAILS = { amount: 40, reason: 'late', notify: false, items: [{ sku: 'A' }], note: null };

function Form({ limits }: { limits?: FieldLimits }) {
  const specs = fieldSpecs(DETAILS, limits);
  const [values, setValues] = useState<Record<string, FieldValue>>(initialValues(specs));
  const { details, errors } = buildModifiedDetails(specs, values);
  return (
    <ThemeRoot colorScheme="light">
      <ModifyForm
        specs={specs}
        values={values}
        errors={errors}
        onChange={(k, v) => setValues({ ...values, [k]: v })}
        t={t}
      />
      <DetailsDiff changes={diffDetails(DETAILS, details)} t={t} />
    </ThemeRoot>
  );
}

describe('details form', () => {
  it('When details mix scalars and nested values, then each gets a typed input and nested ones JSON', () => {
    render(<Form />);
    expect((screen.getByLabelText('Amount') as HTMLInputElement).type).toBe('number');
    expect((screen.getByLabelText('Reason') as HTMLInputElement).type).toBe('text');
    expect((screen.getByLabelText('Notify') as HTMLInputElement).type).toBe('checkbox');
    expect((screen.getByLabelText('Items') as HTMLTextAreaElement).value).toBe(JSON.stringify([{ sku: 'A' }], null, 2));
    expect((screen.getByLabelText('Note') as HTMLTextAreaElement).value).toBe('null');
  });

  it('When fields change, then the diff lists each change with its old and new value', () => {
    render(<Form />);
    fireEvent.change(screen.getByLabelText('Amount'), { target: { value: '12.5' } });
    fireEvent.click(screen.getByLabelText('Notify'));
    fireEvent.change(screen.getByLabelText('Items'), { target: { value: '[{"sku":"B"}]' } });
    const items = screen.getAllByRole('listitem').map((li) => li.textContent);
    expect(items).toEqual(['Amount: 40 → 12.5', 'Notify: false → true', 'Items: [{"sku":"A"}] → [{"sku":"B"}]']);
  });

  it('When a number field is not a number, then it says so', () => {
    render(<Form />);
    fireEvent.change(screen.getByLabelText('Amount'), { target: { value: '' } });
    expect(screen.getByText('Enter a number.')).toBeTruthy();
  });

  it('When oneOf limits a string, then it is a select of the allowed values', () => {
    render(<Form limits={{ reason: { allowed: ['late', 'damaged'] } }} />);
    const select = screen.getByLabelText('Reason') as HTMLSelectElement;
    expect(select.tagName).toBe('SELECT');
    expect([...select.options].map((o) => o.value)).toEqual(['late', 'damaged']);
  });
});

describe('diffDetails', () => {
  it('When keys are added, removed or reordered, then only real changes are reported', () => {
    expect(diffDetails({ a: 1, b: { x: 1, y: 2 } }, { b: { y: 2, x: 1 }, a: 1 })).toEqual([]);
    expect(diffDetails({ a: 1, b: 2 }, { a: 1, c: 3 })).toEqual([
      { key: 'b', type: 'removed', before: 2 },
      { key: 'c', type: 'added', after: 3 },
    ]);
  });
});

describe('limitsFromEditableFields', () => {
  it('When a policy lists editable fields, then unlisted ones are locked and mayOnlyDecrease caps at the original', () => {
    const limits = limitsFromEditableFields(
      { amount: { mayOnlyDecrease: true, min: 0 }, 'address.city': { type: 'string' } },
      { amount: 40, order: '1', address: { city: 'Berlin' } },
    );
    expect(limits).toEqual({ amount: { min: 0, max: 40 }, order: { isLocked: true }, address: {} });
  });
});

describe('humanizeAction', () => {
  it('When an action is snake_case, kebab-case or camelCase, then it reads as a sentence', () => {
    expect(humanizeAction('cancel_subscription')).toBe('Cancel subscription');
    expect(humanizeAction('refund-order')).toBe('Refund order');
    expect(humanizeAction('updateShippingAddress')).toBe('Update shipping address');
  });
});
