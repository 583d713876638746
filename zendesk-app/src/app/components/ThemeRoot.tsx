import { useLayoutEffect, type ReactNode } from 'react';
import styled from 'styled-components';
import { DEFAULT_THEME, ThemeProvider, getColor, type IGardenTheme } from '@zendeskgarden/react-theming';
import type { ColorScheme } from '../contexts/ClientProvider';

const Page = styled.div`
  box-sizing: border-box;
  background-color: ${({ theme }) => getColor({ theme, variable: 'background.default' })};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.default' })};
  font-family: ${({ theme }) => theme.fonts.system};
  font-size: ${({ theme }) => theme.fontSizes.md};
  line-height: ${({ theme }) => theme.lineHeights.md};
`;

export interface IThemeRootProps {
  /** Zendesk's colour scheme (from the iframe URL, `client.get('colorScheme')` and its change event). */
  colorScheme: ColorScheme;
  children: ReactNode;
}

/** Garden's theme in Zendesk's current light or dark scheme, with a page background to match. */
export function ThemeRoot({ colorScheme, children }: IThemeRootProps) {
  const theme: IGardenTheme = { ...DEFAULT_THEME, colors: { ...DEFAULT_THEME.colors, base: colorScheme } };
  // [1] the frame's document takes the scheme too (as top_bar.html does): Chromium paints a frame whose
  // color-scheme differs from its host page's on an opaque canvas, white below the app's content in dark mode
  useLayoutEffect(() => {
    document.documentElement.style.colorScheme = colorScheme;
  }, [colorScheme]);
  return (
    <ThemeProvider theme={theme}>
      <Page data-color-scheme={colorScheme}>{children}</Page>
    </ThemeProvider>
  );
}
