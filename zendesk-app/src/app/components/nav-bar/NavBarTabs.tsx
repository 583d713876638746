import { useMemo, useState, type ReactNode } from 'react';
import styled from 'styled-components';
import { Tabs } from '@zendeskgarden/react-tabs';
import { useClient } from '../../hooks/useClient';
import { insightsTranslator } from '../insights/insights-i18n';

/** The nav bar's tabs; the queue is the default. */
export const NAV_BAR_TABS = ['queue', 'insights'] as const;
export type NavBarTab = (typeof NAV_BAR_TABS)[number];

const Bar = styled.div`
  max-width: 1200px;
  margin: 0 auto;
  padding: ${({ theme }) => `${theme.space.sm} ${theme.space.lg} 0`};
`;

const Panel = styled(Tabs.TabPanel)`
  padding: 0;
`;

export interface INavBarTabsProps {
  /** Each tab's content, rendered the first time its tab is opened and kept after (its state, its live call). */
  panels: Record<NavBarTab, () => ReactNode>;
}

/** Queue and Insights as Garden tabs. A tab's panel mounts only once opened, so Insights loads only then. */
export function NavBarTabs({ panels }: INavBarTabsProps) {
  const { locale } = useClient();
  const tr = useMemo(() => insightsTranslator(locale), [locale]);
  const [selected, setSelected] = useState<NavBarTab>('queue');
  const [opened, setOpened] = useState<ReadonlySet<NavBarTab>>(() => new Set(['queue']));

  function onChange(tab: NavBarTab) {
    setSelected(tab);
    setOpened((prev) => (prev.has(tab) ? prev : new Set([...prev, tab])));
  }

  return (
    <Tabs selectedItem={selected} onChange={onChange}>
      <Bar>
        <Tabs.TabList aria-label={tr('tabs_label')}>
          <Tabs.Tab item="queue">{tr('tab_queue')}</Tabs.Tab>
          <Tabs.Tab item="insights">{tr('tab_insights')}</Tabs.Tab>
        </Tabs.TabList>
      </Bar>
      {NAV_BAR_TABS.map((tab) => (
        <Panel key={tab} item={tab}>
          {opened.has(tab) && panels[tab]()}
        </Panel>
      ))}
    </Tabs>
  );
}
