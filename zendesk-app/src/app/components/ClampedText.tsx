import { useId, useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import type { Translate } from '../lib/i18n';

/** Text longer than this, or with more than three lines, is clamped to three lines until asked. */
export const CLAMP_CHARACTERS = 160;
const CLAMP_LINES = 3;

const Text = styled.span<{ $isClamped: boolean }>`
  display: ${({ $isClamped }) => ($isClamped ? '-webkit-box' : 'block')};
  overflow: ${({ $isClamped }) => ($isClamped ? 'hidden' : 'visible')};
  -webkit-box-orient: vertical;
  -webkit-line-clamp: ${CLAMP_LINES};
  white-space: pre-line;
  overflow-wrap: anywhere;
`;

export const isLongText = (text: string) => text.length > CLAMP_CHARACTERS || text.split('\n').length > CLAMP_LINES;

/** Long text (a justification, a free-text detail) shown as three lines with "Show more". */
export function ClampedText({ text, t }: { text: string; t: Translate }) {
  const id = useId();
  const [isExpanded, setIsExpanded] = useState(false);
  if (!isLongText(text)) return <Text $isClamped={false}>{text}</Text>;
  return (
    <>
      <Text id={id} $isClamped={!isExpanded} data-clamped={!isExpanded}>
        {text}
      </Text>
      <Button
        size="small"
        isLink
        aria-expanded={isExpanded}
        aria-controls={id}
        onClick={() => setIsExpanded((v) => !v)}
      >
        {isExpanded ? t('show_less') : t('show_more')}
      </Button>
    </>
  );
}
