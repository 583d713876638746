import { useEffect, useRef, type FormEvent } from 'react';
import styled from 'styled-components';
import { Checkbox, Field, Input, Select, Textarea } from '@zendeskgarden/react-forms';
import { getColor } from '@zendeskgarden/react-theming';
import { TICKET_DETAIL_KEYS, type FieldValue, type IFieldError, type IFieldSpec } from '../lib/details-form';
import { humanizeKey } from '../lib/format';
import type { Translate } from '../lib/i18n';
import { DetailValue, List } from './DetailsList';

const Fields = styled.form`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.sm};

  textarea {
    font-family: ${({ theme }) => theme.fonts.mono};
    font-size: ${({ theme }) => theme.fontSizes.sm};
  }
`;

const LockedTitle = styled.p`
  margin: 0 0 ${({ theme }) => theme.space.xxs};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

export interface IModifyFormProps {
  /** One spec per top-level detail (fieldSpecs()). */
  specs: IFieldSpec[];
  /** Current raw values by key. */
  values: Record<string, FieldValue>;
  /** Current errors by key (buildModifiedDetails()). */
  errors: Record<string, IFieldError>;
  onChange: (key: string, value: FieldValue) => void;
  /** Enter in a field: approve with the changes (the card decides whether that is allowed). */
  onSubmit?: () => void;
  /** The currency of money in the details that names none (currencyInside()), for the locked values. */
  currency?: string | null;
  locale?: string;
  t: Translate;
}

function limitHint(spec: IFieldSpec, t: Translate): string | null {
  const { limit } = spec;
  if (limit.min !== undefined && limit.max !== undefined) return t('limit_range', { min: limit.min, max: limit.max });
  if (limit.min !== undefined) return t('limit_min', { min: limit.min });
  if (limit.max !== undefined) return t('limit_max', { max: limit.max });
  if (limit.maxLength !== undefined) return t('limit_max_length', { max: limit.maxLength });
  if (spec.kind === 'json') return t('modify_json_hint');
  return null;
}

/**
 * The details as a typed form: text, number and checkbox inputs for what may change, JSON text for nested
 * values; fields the policy locks are plain text under a lock note, and the ticket link is not shown.
 * The first field takes focus when the form opens.
 */
export function ModifyForm({
  specs,
  values,
  errors,
  onChange,
  onSubmit,
  currency = null,
  locale = 'en',
  t,
}: IModifyFormProps) {
  const ref = useRef<HTMLFormElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, []);
  const shown = specs.filter((spec) => !TICKET_DETAIL_KEYS.includes(spec.key));
  const editable = shown.filter((spec) => spec.limit.isLocked !== true);
  const locked = shown.filter((spec) => spec.limit.isLocked === true);
  const submit = (event: FormEvent) => {
    // [1] Enter approves (when allowed) instead of reloading the iframe; the card then moves focus itself
    event.preventDefault();
    onSubmit?.();
  };
  return (
    <Fields ref={ref} onSubmit={submit} noValidate>
      {editable.map((spec) => {
        const value = values[spec.key];
        const error = errors[spec.key];
        const validation = error ? ('error' as const) : undefined;
        const label = <Field.Label title={spec.key}>{humanizeKey(spec.key)}</Field.Label>;
        const hint = limitHint(spec, t);
        const message = error && (
          <Field.Message validation="error" validationLabel={t('validation_error')}>
            {t(error.key, error.values)}
          </Field.Message>
        );
        if (spec.kind === 'boolean') {
          return (
            <Field key={spec.key}>
              <Checkbox checked={value === true} onChange={(event) => onChange(spec.key, event.target.checked)}>
                {label}
              </Checkbox>
              {message}
            </Field>
          );
        }
        const text = typeof value === 'string' ? value : '';
        let control;
        if (spec.kind === 'json') {
          control = (
            <Textarea
              isCompact
              minRows={2}
              maxRows={8}
              value={text}
              validation={validation}
              spellCheck={false}
              onChange={(event) => onChange(spec.key, event.target.value)}
            />
          );
        } else if (spec.kind === 'string' && spec.limit.allowed) {
          control = (
            <Select
              isCompact
              value={text}
              validation={validation}
              onChange={(event) => onChange(spec.key, event.target.value)}
            >
              {spec.limit.allowed.map((option) => (
                <option key={String(option)} value={String(option)}>
                  {String(option)}
                </option>
              ))}
            </Select>
          );
        } else {
          control = (
            <Input
              isCompact
              type={spec.kind === 'number' ? 'number' : 'text'}
              inputMode={spec.kind === 'number' ? 'decimal' : undefined}
              step={spec.kind === 'number' ? 'any' : undefined}
              min={spec.limit.min}
              max={spec.limit.max}
              maxLength={spec.limit.maxLength}
              value={text}
              validation={validation}
              onChange={(event) => onChange(spec.key, event.target.value)}
            />
          );
        }
        return (
          <Field key={spec.key}>
            {label}
            {hint && <Field.Hint>{hint}</Field.Hint>}
            {control}
            {message}
          </Field>
        );
      })}
      {locked.length > 0 && (
        <div data-testid="locked-fields">
          <LockedTitle>
            <span aria-hidden="true">🔒 </span>
            {t('locked_title')}
          </LockedTitle>
          <List>
            {locked.map((spec) => (
              <div key={spec.key} style={{ display: 'contents' }}>
                <dt title={spec.key}>{humanizeKey(spec.key)}</dt>
                <dd>
                  <DetailValue value={spec.original} name={spec.key} currency={currency} locale={locale} t={t} />
                </dd>
              </div>
            ))}
          </List>
        </div>
      )}
      {/* [1] an implicit submit needs a submit button in a form with several fields */}
      <button type="submit" hidden tabIndex={-1} />
    </Fields>
  );
}
