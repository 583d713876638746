import { lazy, Suspense } from 'react';
import { CardSkeleton } from '../components/CardSkeleton';

// [1] the table (Garden tables and the queue's own code) loads only in the nav bar, not in every ticket sidebar
const QueueView = lazy(() => import('../components/queue/QueueView').then(({ QueueView }) => ({ default: QueueView })));

/** The nav-bar queue: every pending approval of the account, as a table built for triage. */
export function Queue() {
  return (
    <Suspense fallback={<CardSkeleton />}>
      <QueueView />
    </Suspense>
  );
}
