import type { ReactNode } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { visuallyHidden } from './visually-hidden';

const Wrapper = styled.section`
  margin-top: ${({ theme }) => theme.space.xs};

  h3 {
    margin: 0 0 ${({ theme }) => theme.space.xxs};
    font-size: ${({ theme }) => theme.fontSizes.sm};
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }

  h3.visually-hidden {
    ${visuallyHidden}
  }

  p {
    margin: 0;
    overflow-wrap: anywhere;
  }
`;

export interface ISectionProps {
  /** Heading of the section (an h3 inside the card). */
  title: string;
  /** Heading for screen readers only, where the content speaks for itself (the details list). */
  isTitleHidden?: boolean;
  children: ReactNode;
}

/** A titled part of a card. */
export function Section({ title, isTitleHidden = false, children }: ISectionProps) {
  return (
    <Wrapper>
      <h3 className={isTitleHidden ? 'visually-hidden' : undefined}>{title}</h3>
      {children}
    </Wrapper>
  );
}
