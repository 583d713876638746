import type { ReactNode } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';

const Wrapper = styled.section`
  margin-top: ${({ theme }) => theme.space.sm};

  h3 {
    margin: 0 0 ${({ theme }) => theme.space.xxs};
    font-size: ${({ theme }) => theme.fontSizes.sm};
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }

  p {
    margin: 0;
    overflow-wrap: anywhere;
  }
`;

export interface ISectionProps {
  /** Heading of the section (an h3 inside the card). */
  title: string;
  children: ReactNode;
}

/** A titled part of a card. */
export function Section({ title, children }: ISectionProps) {
  return (
    <Wrapper>
      <h3>{title}</h3>
      {children}
    </Wrapper>
  );
}
