import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';

/** A plain article, not Garden's Well: `styled(Well)` with `as` sent Well's props (isRecessed) to the DOM. */
export const Card = styled.article<{ $isDecided: boolean }>`
  padding: ${({ theme, $isDecided }) => ($isDecided ? `${theme.space.xxs} ${theme.space.sm}` : theme.space.sm)};
  border: ${({ theme }) => `${theme.borders.sm} ${getColor({ theme, variable: 'border.default' })}`};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  background-color: ${({ theme, $isDecided }) =>
    getColor({ theme, variable: $isDecided ? 'background.recessed' : 'background.default' })};

  &:focus-visible {
    outline: ${({ theme }) => `${theme.borderWidths.md} solid ${getColor({ theme, variable: 'border.primaryEmphasis' })}`};
  }
`;

export const Header = styled.div`
  display: flex;
  align-items: flex-start;
  gap: ${({ theme }) => theme.space.xs};

  h2 {
    flex: 1 1 auto;
    min-width: 0;
    margin: 0;
    font-size: ${({ theme }) => theme.fontSizes.md};
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
    line-height: ${({ theme }) => theme.lineHeights.md};
    overflow-wrap: anywhere;
  }
`;

/** Tags beside the title never shrink ("Pend"), nor wrap. */
export const Badges = styled.div`
  display: flex;
  flex-shrink: 0;
  gap: ${({ theme }) => theme.space.xxs};
  white-space: nowrap;
`;

export const Summary = styled.p`
  margin: 0;
  overflow-wrap: anywhere;
`;

/** A div, not a p: Garden's Tag renders a div, which a p may not contain. */
export const Meta = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => `${theme.space.xxs} ${theme.space.xs}`};
  align-items: center;
  margin: ${({ theme }) => theme.space.xxs} 0 0;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const URGENCY_COLOR = { expired: 'foreground.danger', imminent: 'foreground.danger', soon: 'foreground.warning' };

export const Expiry = styled.time<{ $urgency: keyof typeof URGENCY_COLOR | 'calm' }>`
  white-space: nowrap;
  font-weight: ${({ theme, $urgency }) => ($urgency === 'calm' ? 'inherit' : theme.fontWeights.semibold)};
  color: ${({ theme, $urgency }) =>
    $urgency === 'calm' ? 'inherit' : getColor({ theme, variable: URGENCY_COLOR[$urgency] })};
`;

/** The AI agent's justification, set off as a quote (its heading is for screen readers). */
export const Why = styled.p`
  padding-inline-start: ${({ theme }) => theme.space.xs};
  border-inline-start: ${({ theme }) => `${theme.borderWidths.md} solid ${getColor({ theme, variable: 'border.default' })}`};
  font-style: italic;
`;

export const Notice = styled.div`
  margin-top: ${({ theme }) => theme.space.sm};
`;

/** Why this agent cannot decide (approval authority), at the top of the actions it turns off. */
export const Requirement = styled.p`
  margin: ${({ theme }) => theme.space.sm} 0 0;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
  overflow-wrap: anywhere;
`;

export const STATUS_HUES = { pending: 'yellow', approved: 'green', rejected: 'red' } as const;
export const RISK_HUES = { low: 'grey', medium: 'yellow', high: 'red', critical: 'red' } as const;

/** What deciding will make Cheqpoint do (OutcomePlan), and what it did (ExecutionStatus). */
export const PlanLines = styled.ul`
  margin: ${({ theme }) => theme.space.xs} 0 0;
  padding: 0;
  list-style: none;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  overflow-wrap: anywhere;
`;
