import type { ComponentType } from 'react';
import { ThemeRoot } from './components/ThemeRoot';
import { useClient } from './hooks/useClient';
import { Queue } from './locations/Queue';
import { TicketSidebar } from './locations/TicketSidebar';

/** The component for each manifest location. */
export const LOCATIONS: Record<string, ComponentType> = {
  ticket_sidebar: TicketSidebar,
  nav_bar: Queue,
};

/** Picks the location's component and wraps it in Garden's theme. */
export function App() {
  const { location, colorScheme } = useClient();
  const Location = LOCATIONS[location] ?? TicketSidebar;
  return (
    <ThemeRoot colorScheme={colorScheme}>
      <Location />
    </ThemeRoot>
  );
}
