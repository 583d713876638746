import { lazy, Suspense } from 'react';
import { CardSkeleton } from '../components/CardSkeleton';

// [1] the table (Garden tables and the queue's own code) loads only in the nav bar, not in every ticket sidebar
const loadQueueView = () => import('../components/queue/QueueView');
const QueueView = lazy(() => loadQueueView().then(({ QueueView }) => ({ default: QueueView })));
// [2] the tabs are a small chunk of their own; the queue's chunk is fetched beside it, not after it
const loadNavBarTabs = () => import('../components/nav-bar/NavBarTabs');
const NavBarTabs = lazy(() => {
  void loadQueueView().catch(() => undefined); // its own lazy() reports a failure where it renders
  return loadNavBarTabs().then(({ NavBarTabs }) => ({ default: NavBarTabs }));
});

/** Fetches the tabs' and the queue's chunks (the tests load them before rendering, as cardParts). */
export const preloadNavBar = () => Promise.all([loadNavBarTabs(), loadQueueView()]);
// [3] Insights (its table, the charts and Chart.js) loads only when its tab is opened
const InsightsView = lazy(() =>
  import('../components/insights/InsightsView').then(({ InsightsView }) => ({ default: InsightsView })),
);

const PANELS = {
  queue: () => (
    <Suspense fallback={<CardSkeleton />}>
      <QueueView />
    </Suspense>
  ),
  insights: () => (
    <Suspense fallback={<CardSkeleton />}>
      <InsightsView />
    </Suspense>
  ),
};

/** The nav bar: the queue of every pending approval of the account (the default tab), and Insights. */
export function Queue() {
  return (
    <Suspense fallback={<CardSkeleton />}>
      <NavBarTabs panels={PANELS} />
    </Suspense>
  );
}
