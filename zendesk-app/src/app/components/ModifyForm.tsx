import styled from 'styled-components';
import { Checkbox, Field, Input, Select, Textarea } from '@zendeskgarden/react-forms';
import type { FieldValue, IFieldError, IFieldSpec } from '../lib/details-form';
import { humanizeKey } from '../lib/format';
import type { Translate } from '../lib/i18n';

const Fields = styled.div`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.sm};

  textarea {
    font-family: ${({ theme }) => theme.fonts.mono};
    font-size: ${({ theme }) => theme.fontSizes.sm};
  }
`;

export interface IModifyFormProps {
  /** One spec per top-level detail (fieldSpecs()). */
  specs: IFieldSpec[];
  /** Current raw values by key. */
  values: Record<string, FieldValue>;
  /** Current errors by key (buildModifiedDetails()). */
  errors: Record<string, IFieldError>;
  onChange: (key: string, value: FieldValue) => void;
  t: Translate;
}

function limitHint(spec: IFieldSpec, t: Translate): string | null {
  const { limit } = spec;
  if (limit.isLocked) return t('limit_locked');
  if (limit.min !== undefined && limit.max !== undefined) return t('limit_range', { min: limit.min, max: limit.max });
  if (limit.min !== undefined) return t('limit_min', { min: limit.min });
  if (limit.max !== undefined) return t('limit_max', { max: limit.max });
  if (limit.maxLength !== undefined) return t('limit_max_length', { max: limit.maxLength });
  if (spec.kind === 'json') return t('modify_json_hint');
  return null;
}

/** The details as a typed form: text, number and checkbox inputs for scalars, JSON text for the rest. */
export function ModifyForm({ specs, values, errors, onChange, t }: IModifyFormProps) {
  return (
    <Fields>
      {specs.map((spec) => {
        const value = values[spec.key];
        const error = errors[spec.key];
        const validation = error ? ('error' as const) : undefined;
        const label = <Field.Label title={spec.key}>{humanizeKey(spec.key)}</Field.Label>;
        const hint = limitHint(spec, t);
        const isLocked = spec.limit.isLocked === true;
        if (spec.kind === 'boolean') {
          return (
            <Field key={spec.key}>
              <Checkbox
                checked={value === true}
                disabled={isLocked}
                onChange={(event) => onChange(spec.key, event.target.checked)}
              >
                {label}
              </Checkbox>
              {hint && <Field.Hint>{hint}</Field.Hint>}
              {error && <Field.Message validation="error">{t(error.key, error.values)}</Field.Message>}
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
              readOnly={isLocked}
              value={text}
              validation={validation}
              spellCheck={false}
              onChange={(event) => onChange(spec.key, event.target.value)}
            />
          );
        } else if (spec.kind === 'string' && spec.limit.allowed && !isLocked) {
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
              readOnly={isLocked}
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
            {error && <Field.Message validation="error">{t(error.key, error.values)}</Field.Message>}
          </Field>
        );
      })}
    </Fields>
  );
}
