import { useEffect, useRef } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Textarea } from '@zendeskgarden/react-forms';
import { getColor } from '@zendeskgarden/react-theming';
import { useAnnounce } from '../LiveRegion';
import type { InsightsTranslate } from './insights-i18n';
import { useCopy } from './useCopy';

const Actions = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
`;

const Done = styled.span`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.success' })};
`;

const Fallback = styled.div`
  margin-top: ${({ theme }) => theme.space.xs};

  textarea {
    font-family: ${({ theme }) => theme.fonts.mono};
    font-size: ${({ theme }) => theme.fontSizes.sm};
  }
`;

export interface ICopyJsonProps {
  /** What is copied, pretty-printed as JSON. */
  value: unknown;
  /** The button's text ("Copy rule"). */
  label: string;
  /** The fallback field's label, when the clipboard is refused. */
  fieldLabel: string;
  tr: InsightsTranslate;
}

/** A button copying a JSON value; says "Copied", or offers the JSON selected in a read-only field. */
export function CopyJson({ value, label, fieldLabel, tr }: ICopyJsonProps) {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  const { state, copy } = useCopy(text);
  const announce = useAnnounce();
  const field = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    if (state === 'copied') announce(tr('copied'));
    if (state !== 'refused') return;
    // the agent clicked to copy: the text is ready to copy by hand, selected, with focus on it
    field.current?.focus();
    field.current?.select();
  }, [state, announce, tr]);

  return (
    <div>
      <Actions>
        <Button size="small" onClick={() => void copy()}>
          {label}
        </Button>
        {state === 'copied' && <Done aria-hidden="true">{tr('copied')}</Done>}
      </Actions>
      {state === 'refused' && (
        <Fallback>
          <Field>
            <Field.Label>{fieldLabel}</Field.Label>
            <Field.Hint>{tr('copy_fallback')}</Field.Hint>
            <Textarea ref={field} readOnly isResizable minRows={4} maxRows={16} value={text} />
          </Field>
        </Fallback>
      )}
    </div>
  );
}
